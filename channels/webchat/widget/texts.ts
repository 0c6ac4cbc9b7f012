/** The widget's own texts in its three languages. */
export type WidgetLocale = 'en' | 'fa' | 'ar';

export const TEXTS = {
  en: {
    open: 'Open chat',
    close: 'Close chat',
    title: 'Chat with us',
    transcript: 'Conversation',
    messageBox: 'Your message',
    placeholder: 'Type a message…',
    send: 'Send',
    attach: 'Attach a file',
    typing: 'typing…',
    sending: 'Sending',
    delivered: 'Delivered',
    read: 'Read',
    failed: 'Not sent',
    retry: 'Retry',
    unread: (n: string) => `${n} unread`,
    offline: 'Reconnecting…',
    prechatIntro: 'Before we start, tell us who you are.',
    name: 'Name',
    email: 'Email',
    phone: 'Phone',
    start: 'Start chat',
    fileTooBig: (max: string) => `The file is larger than ${max} MB.`,
    fileType: 'This kind of file is not accepted.',
    agent: 'Agent',
    alerts: 'Sound and notifications for new replies',
  },
  fa: {
    open: 'باز کردن گفتگو',
    close: 'بستن گفتگو',
    title: 'گفتگو با ما',
    transcript: 'گفتگو',
    messageBox: 'پیام شما',
    placeholder: 'پیامی بنویسید…',
    send: 'ارسال',
    attach: 'پیوست فایل',
    typing: 'در حال نوشتن…',
    sending: 'در حال ارسال',
    delivered: 'رسید',
    read: 'خوانده شد',
    failed: 'ارسال نشد',
    retry: 'تلاش دوباره',
    unread: (n: string) => `${n} پیام خوانده‌نشده`,
    offline: 'در حال اتصال دوباره…',
    prechatIntro: 'پیش از شروع، خودتان را معرفی کنید.',
    name: 'نام',
    email: 'ایمیل',
    phone: 'تلفن',
    start: 'شروع گفتگو',
    fileTooBig: (max: string) => `حجم فایل بیش از ${max} مگابایت است.`,
    fileType: 'این نوع فایل پذیرفته نمی‌شود.',
    agent: 'پشتیبان',
    alerts: 'صدا و اعلان برای پاسخ‌های تازه',
  },
  ar: {
    open: 'فتح المحادثة',
    close: 'إغلاق المحادثة',
    title: 'تحدث معنا',
    transcript: 'المحادثة',
    messageBox: 'رسالتك',
    placeholder: 'اكتب رسالة…',
    send: 'إرسال',
    attach: 'إرفاق ملف',
    typing: 'يكتب…',
    sending: 'جارٍ الإرسال',
    delivered: 'تم التسليم',
    read: 'تمت القراءة',
    failed: 'لم تُرسل',
    retry: 'أعد المحاولة',
    unread: (n: string) => `${n} غير مقروءة`,
    offline: 'جارٍ إعادة الاتصال…',
    prechatIntro: 'قبل أن نبدأ، عرّفنا بنفسك.',
    name: 'الاسم',
    email: 'البريد الإلكتروني',
    phone: 'الهاتف',
    start: 'ابدأ المحادثة',
    fileTooBig: (max: string) => `حجم الملف أكبر من ${max} ميغابايت.`,
    fileType: 'هذا النوع من الملفات غير مقبول.',
    agent: 'موظف الدعم',
    alerts: 'صوت وإشعار للردود الجديدة',
  },
} as const;

export type WidgetTexts = (typeof TEXTS)[WidgetLocale];

export const isRtl = (locale: WidgetLocale): boolean => locale !== 'en';

/** en/fa/ar from a language tag (fa-IR, ar-AE, ...), or undefined for other languages. */
export function widgetLocale(tag: string | null | undefined): WidgetLocale | undefined {
  const language = (tag ?? '').toLowerCase().split(/[-_]/)[0];
  return language === 'fa' || language === 'ar' || language === 'en' ? language : undefined;
}

const DIGITS = { fa: '۰۱۲۳۴۵۶۷۸۹', ar: '٠١٢٣٤٥٦٧٨٩' } as const;

/** Western digits written in the locale's own digits (Persian ۱۲۳, Arabic-Indic ١٢٣). */
export function localDigits(text: string | number, locale: WidgetLocale): string {
  const digits = locale === 'en' ? undefined : DIGITS[locale];
  return digits ? String(text).replace(/[0-9]/g, (d) => digits[Number(d)] as string) : String(text);
}

/** A message time (hh:mm) in the locale's digits. */
export function clock(iso: string, locale: WidgetLocale): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return '';
  const hh = String(at.getHours()).padStart(2, '0');
  const mm = String(at.getMinutes()).padStart(2, '0');
  return localDigits(`${hh}:${mm}`, locale);
}
