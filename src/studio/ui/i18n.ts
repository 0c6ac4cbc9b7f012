import { useEffect, useState } from 'preact/hooks';

/**
 * The studio's own texts in en, fa and ar. A page brings its texts with registerTexts (the
 * compiler checks fa and ar have every key en has); t(key) reads them in the reader's locale.
 * Switching the locale re-renders every component that called useLocale(), and mirrors the
 * layout (dir=rtl for fa and ar) without a reload.
 */
export const LOCALES = ['en', 'fa', 'ar'] as const;
export type Locale = (typeof LOCALES)[number];

type Catalogue = Record<string, string>;
const catalogues: Record<Locale, Catalogue> = { en: {}, fa: {}, ar: {} };

export function registerTexts<K extends string>(texts: { en: Record<K, string>; fa: Record<K, string>; ar: Record<K, string> }): void {
  for (const locale of LOCALES) Object.assign(catalogues[locale], texts[locale]);
}

registerTexts({
  en: {
    'app.title': 'Parley Studio',
    'app.language': 'Language',
    'app.logout': 'Log out',
    'app.loading': 'Loading…',
    'app.notFound': 'There is no such page.',
    'app.forbidden': 'Your role may not open this page.',
    'app.error': 'Something went wrong: {message}',
    'login.title': 'Log in to Parley Studio',
    'login.email': 'Email',
    'login.password': 'Password',
    'login.submit': 'Log in',
    'login.failed': 'Could not log in: {message}',
    'role.admin': 'Admin',
    'role.manager': 'Manager',
    'role.marketer': 'Marketer',
    'role.agent': 'Agent',
  },
  fa: {
    'app.title': 'استودیوی پارلی',
    'app.language': 'زبان',
    'app.logout': 'خروج',
    'app.loading': 'در حال بارگذاری…',
    'app.notFound': 'چنین صفحه‌ای وجود ندارد.',
    'app.forbidden': 'نقش شما اجازهٔ باز کردن این صفحه را ندارد.',
    'app.error': 'خطایی رخ داد: {message}',
    'login.title': 'ورود به استودیوی پارلی',
    'login.email': 'ایمیل',
    'login.password': 'گذرواژه',
    'login.submit': 'ورود',
    'login.failed': 'ورود انجام نشد: {message}',
    'role.admin': 'مدیر سیستم',
    'role.manager': 'مدیر',
    'role.marketer': 'بازاریاب',
    'role.agent': 'کارشناس',
  },
  ar: {
    'app.title': 'استوديو بارلي',
    'app.language': 'اللغة',
    'app.logout': 'تسجيل الخروج',
    'app.loading': 'جارٍ التحميل…',
    'app.notFound': 'لا توجد صفحة كهذه.',
    'app.forbidden': 'لا يسمح دورك بفتح هذه الصفحة.',
    'app.error': 'حدث خطأ: {message}',
    'login.title': 'تسجيل الدخول إلى استوديو بارلي',
    'login.email': 'البريد الإلكتروني',
    'login.password': 'كلمة المرور',
    'login.submit': 'دخول',
    'login.failed': 'تعذّر تسجيل الدخول: {message}',
    'role.admin': 'مسؤول النظام',
    'role.manager': 'مدير',
    'role.marketer': 'مسوّق',
    'role.agent': 'موظف دعم',
  },
});

const STORAGE_KEY = 'parley-studio-locale';
const listeners = new Set<(locale: Locale) => void>();

function initialLocale(): Locale {
  const stored = globalThis.localStorage?.getItem(STORAGE_KEY);
  if (stored && (LOCALES as readonly string[]).includes(stored)) return stored as Locale;
  const browser = (globalThis.navigator?.language ?? 'en').slice(0, 2);
  return (LOCALES as readonly string[]).includes(browser) ? (browser as Locale) : 'en';
}

let current: Locale = initialLocale();

export const isRtl = (locale: Locale): boolean => locale === 'fa' || locale === 'ar';
export const currentLocale = (): Locale => current;

export function setLocale(locale: Locale): void {
  current = locale;
  globalThis.localStorage?.setItem(STORAGE_KEY, locale);
  applyDirection();
  for (const listener of listeners) listener(locale);
}

/** Sets lang and dir on <html>: the whole layout mirrors for fa and ar. */
export function applyDirection(): void {
  document.documentElement.lang = current;
  document.documentElement.dir = isRtl(current) ? 'rtl' : 'ltr';
}

/** The reader's locale; the component renders again when it changes. */
export function useLocale(): Locale {
  const [locale, setState] = useState(current);
  useEffect(() => {
    listeners.add(setState);
    return () => void listeners.delete(setState);
  }, []);
  return locale;
}

/** A text in the reader's locale, `{name}` replaced from vars; English when a locale lacks it. */
export function t(key: string, vars: Record<string, string | number> = {}, locale: Locale = current): string {
  const text = catalogues[locale][key] ?? catalogues.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? formatValue(vars[name] as string | number, locale) : whole));
}

const formatValue = (value: string | number, locale: Locale) => (typeof value === 'number' ? formatNumber(value, locale) : value);

/**
 * BCP 47 tags: Persian digits and the Solar Hijri (Jalali) calendar for fa, Arabic-Indic digits
 * for ar. Plain "ar" gives Latin digits since CLDR 42 (ICU 72): the numbering system is named.
 */
const NUMBER_TAGS: Record<Locale, string> = { en: 'en', fa: 'fa-IR', ar: 'ar-u-nu-arab' };
const DATE_TAGS: Record<Locale, string> = { en: 'en-GB', fa: 'fa-IR-u-ca-persian', ar: 'ar-u-nu-arab' };

export function formatNumber(value: number, locale: Locale = current, options: Intl.NumberFormatOptions = {}): string {
  return new Intl.NumberFormat(NUMBER_TAGS[locale], options).format(value);
}

export function formatDate(
  value: Date | string,
  locale: Locale = current,
  options: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'short' },
): string {
  return new Intl.DateTimeFormat(DATE_TAGS[locale], options).format(typeof value === 'string' ? new Date(value) : value);
}
