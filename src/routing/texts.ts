import type { LocalizedText } from './config.ts';

/** The text for a customer's language: exact tag, then its language, then English, then any. */
export function pickText(text: LocalizedText, locale: string): string {
  return text[locale] ?? text[locale.split('-')[0] as string] ?? text.en ?? Object.values(text)[0] ?? '';
}

/** Fills {{name}} placeholders (no HTML escaping: these go to messaging channels). */
export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) => values[name] ?? whole);
}

export const OUT_OF_HOURS: LocalizedText = {
  en: 'Thanks for your message. Our team is away right now; you can expect an answer from {{opening}}.',
  fa: 'از پیام شما سپاسگزاریم. همکاران ما اکنون در دسترس نیستند؛ از {{opening}} پاسخ شما را می‌دهیم.',
  ar: 'شكرًا لرسالتك. فريقنا غير متاح الآن؛ يمكنك توقع الرد ابتداءً من {{opening}}.',
};

export const WAITING_FOR_AGENT: LocalizedText = {
  en: 'Thanks, your message is with our team; a colleague will answer you here as soon as one is free.',
  fa: 'ممنون، پیام شما به دست همکاران ما رسیده است؛ به‌محض اینکه یکی از آن‌ها آزاد شود، همین‌جا پاسخ می‌دهد.',
  ar: 'شكرًا، رسالتك لدى فريقنا؛ سيرد عليك أحد الزملاء هنا فور تفرّغه.',
};

export const TICKET_STATUS: Record<string, LocalizedText> = {
  open: {
    en: 'We opened request {{ref}} for you.',
    fa: 'درخواست {{ref}} برای شما ثبت شد.',
    ar: 'فتحنا لك الطلب {{ref}}.',
  },
  in_progress: {
    en: 'Your request {{ref}} is being worked on.',
    fa: 'درخواست {{ref}} شما در حال رسیدگی است.',
    ar: 'طلبك {{ref}} قيد المعالجة.',
  },
  waiting_for_customer: {
    en: 'We need a reply from you to continue with request {{ref}}.',
    fa: 'برای ادامهٔ رسیدگی به درخواست {{ref}} به پاسخ شما نیاز داریم.',
    ar: 'نحتاج إلى ردك لمتابعة الطلب {{ref}}.',
  },
  resolved: {
    en: 'Your request {{ref}} has been resolved.',
    fa: 'درخواست {{ref}} شما حل شد.',
    ar: 'تم حل طلبك {{ref}}.',
  },
  closed: {
    en: 'Your request {{ref}} is now closed. Thank you!',
    fa: 'درخواست {{ref}} شما بسته شد. سپاسگزاریم!',
    ar: 'تم إغلاق طلبك {{ref}}. شكرًا لك!',
  },
};

/** "Monday 09:00" in the customer's language and calendar, at the team's wall clock. */
export function formatOpening(at: Date, locale: string, timeZone: string): string {
  return new Intl.DateTimeFormat(locale, {
    timeZone,
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(at);
}
