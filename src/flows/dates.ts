import { isValidJalaaliDate, toGregorian, toJalaali } from 'jalaali-js';
import { toAsciiDigits } from '../core/address.ts';
import { foldForMatch } from '../core/text.ts';
import { GREGORIAN_MONTHS, JALALI_MONTHS, RELATIVE_DAYS } from './lexicon.ts';

export interface DateContext {
  readonly locale?: string;
  /** For "today", "فردا" and dates written without a year. */
  readonly now?: Date;
  /** The customer's IANA time zone, for what "today" is; UTC when unknown. */
  readonly timeZone?: string;
}

/**
 * A date as customers write it, to "YYYY-MM-DD":
 * - numeric: "2026-03-21", "21/03/2026", "21.3.2026", in any digit system; with locale fa,
 *   years 1200-1599 are Solar Hijri ("۱۴۰۵/۰۱/۰۱") and converted;
 * - with a month name: "8 آذر 1403" (Solar Hijri months), "8 December 2026", "December 8",
 *   "٨ ديسمبر ٢٠٢٦"; a missing year is this year (in the month names' calendar);
 * - relative: today, tomorrow, yesterday (and the day after/before) in en, fa and ar.
 * Other years before 1900 are refused rather than misread.
 */
export function parseDate(text: string, context: DateContext = {}): string | undefined {
  const ascii = toAsciiDigits(text.trim());
  return numericDate(ascii, context.locale) ?? namedMonthDate(ascii, context) ?? relativeDate(ascii, context);
}

function numericDate(ascii: string, locale: string | undefined): string | undefined {
  const iso = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(ascii);
  const dmy = /^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$/.exec(ascii);
  if (iso) return calendarDate(Number(iso[1]), Number(iso[2]), Number(iso[3]), locale === 'fa' ? 'jalali-if-old' : 'gregorian');
  if (dmy) return calendarDate(Number(dmy[3]), Number(dmy[2]), Number(dmy[1]), locale === 'fa' ? 'jalali-if-old' : 'gregorian');
  return undefined;
}

function namedMonthDate(ascii: string, context: DateContext): string | undefined {
  const words = foldForMatch(ascii)
    .replace(/(\d)(st|nd|rd|th)\b/g, '$1')
    .split(/[\s,.\-/،]+/u)
    .filter(Boolean);
  const numbers = words.filter((w) => /^\d+$/.test(w)).map(Number);
  const names = words.filter((w) => !/^\d+$/.test(w)).join(' ');
  const jalali = monthIn(JALALI_MONTHS, names);
  const gregorian = jalali === undefined ? monthIn(GREGORIAN_MONTHS, names) : undefined;
  const month = jalali ?? gregorian;
  if (month === undefined || numbers.length === 0 || numbers.length > 2) return undefined;
  const year = numbers.find((n) => n > 31);
  const day = numbers.find((n) => n >= 1 && n <= 31);
  if (day === undefined || numbers.length !== (year === undefined ? 1 : 2)) return undefined;
  const today = localToday(context);
  if (jalali !== undefined) return calendarDate(year ?? toJalaali(today.y, today.m, today.d).jy, month, day, 'jalali');
  return calendarDate(year ?? today.y, month, day, 'gregorian');
}

/** The month a name (or two-word name, "كانون الأول") among the words stands for. */
function monthIn(months: ReadonlyMap<string, number>, words: string): number | undefined {
  if (months.has(words)) return months.get(words);
  for (const word of words.split(' ')) if (months.has(word)) return months.get(word);
  return undefined;
}

function relativeDate(ascii: string, context: DateContext): string | undefined {
  const offset = RELATIVE_DAYS.get(foldForMatch(ascii).replace(/[.!?؟]+$/u, ''));
  if (offset === undefined) return undefined;
  const { y, m, d } = localToday(context);
  return new Date(Date.UTC(y, m - 1, d + offset)).toISOString().slice(0, 10);
}

function localToday(context: DateContext): { y: number; m: number; d: number } {
  const now = context.now ?? new Date();
  const parts = dayFormat(context.timeZone).format(now);
  const [y, m, d] = parts.split('-').map(Number) as [number, number, number];
  return { y, m, d };
}

/** The calendar day in a time zone; an unknown zone (a customer attribute typed by hand) is UTC. */
function dayFormat(timeZone: string | undefined): Intl.DateTimeFormat {
  const options = { year: 'numeric', month: '2-digit', day: '2-digit' } as const;
  try {
    return new Intl.DateTimeFormat('en-CA', { ...options, timeZone: timeZone ?? 'UTC' });
  } catch {
    return new Intl.DateTimeFormat('en-CA', { ...options, timeZone: 'UTC' });
  }
}

/** A date of the calendar as "YYYY-MM-DD" (Gregorian); undefined when no such day exists. */
export function calendarDate(year: number, month: number, day: number, calendar: 'gregorian' | 'jalali' | 'jalali-if-old'): string | undefined {
  let [y, m, d] = [year, month, day];
  if (calendar === 'jalali' || (calendar === 'jalali-if-old' && y >= 1200 && y < 1600)) {
    if (!isValidJalaaliDate(y, m, d)) return undefined;
    ({ gy: y, gm: m, gd: d } = toGregorian(y, m, d));
  }
  if (y < 1900) return undefined;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return undefined;
  return date.toISOString().slice(0, 10);
}
