import { isValidJalaaliDate, toGregorian } from 'jalaali-js';
import { normalizeEmail, normalizePhone, toAsciiDigits } from '../core/address.ts';
import { foldForMatch } from '../core/text.ts';
import type { Ask } from './schema.ts';
import { localize } from './text.ts';

/** What the customer sent in answer to an ask. */
export interface AnswerInput {
  readonly text?: string;
  readonly interactiveReplyId?: string;
  readonly attachments?: readonly unknown[];
}

export type Answer =
  { readonly ok: true; readonly value: string | number | boolean | null; readonly display: string } | { readonly ok: false; readonly reason: string };

const YES = [
  'yes',
  'y',
  'yeah',
  'yep',
  'sure',
  'ok',
  'okay',
  'بله',
  'بلی',
  'آره',
  'اره',
  'آری',
  'باشه',
  'حتما',
  'نعم',
  'أجل',
  'اجل',
  'ايوه',
  'أيوه',
  'بلى',
  'طبعا',
  'حسنا',
];
const NO = ['no', 'n', 'nope', 'not', 'نه', 'خیر', 'نخیر', 'لا', 'كلا', 'کلا', 'ابدا'];
const SKIP = ['skip', 'none', 'no', 'n/a', '-', 'ندارم', 'نه', 'هیچ', 'رد', 'لا', 'لا يوجد', 'لايوجد', 'تخطي', 'ليس لدي'];

// Number words 0-10 in the three shipped languages, for ratings typed as words.
const NUMBER_WORDS: Record<string, number> = Object.fromEntries(
  [
    ['zero', 'صفر'],
    ['one', 'یک', 'يك', 'واحد'],
    ['two', 'دو', 'اثنان', 'اثنين'],
    ['three', 'سه', 'ثلاثة', 'ثلاث'],
    ['four', 'چهار', 'أربعة', 'اربعة', 'أربع'],
    ['five', 'پنج', 'خمسة', 'خمس'],
    ['six', 'شش', 'ستة', 'ست'],
    ['seven', 'هفت', 'سبعة', 'سبع'],
    ['eight', 'هشت', 'ثمانية', 'ثماني'],
    ['nine', 'نه', 'تسعة', 'تسع'],
    ['ten', 'ده', 'عشرة', 'عشر'],
  ].flatMap((words, value) => words.map((w) => [foldForMatch(w), value])),
);

const foldedSet = (words: string[]) => new Set(words.map(foldForMatch));
const YES_SET = foldedSet(YES);
const NO_SET = foldedSet(NO);
const SKIP_SET = foldedSet(SKIP);

/** Words of a folded text, punctuation (Latin, Persian, Arabic) removed. */
const words = (folded: string) => folded.split(/[\s.,!?؟،؛:;()"'«»\-–]+/u).filter(Boolean);

/** A whole-number answer: digits in any system ("۵", "٥", "5/5", "5 stars"), or a number word. */
export function parseInteger(text: string): number | undefined {
  const folded = foldForMatch(text);
  const digits = /^\D*?(-?\d+)(?:\s*\/\s*\d+)?\D*$/u.exec(folded);
  if (digits) return Number(digits[1]);
  const ws = words(folded);
  if (ws.length === 1 && NUMBER_WORDS[ws[0] as string] !== undefined) return NUMBER_WORDS[ws[0] as string];
  return undefined;
}

/** A decimal answer: "1,234.5", "۱٬۲۳۴٫۵" (Persian separators), "12.5". */
export function parseDecimal(text: string): number | undefined {
  const ascii = toAsciiDigits(text.trim())
    .replace(/[٬,\s]/g, '')
    .replace('٫', '.');
  return /^-?\d+(\.\d+)?$/.test(ascii) ? Number(ascii) : undefined;
}

export function parseYesNo(text: string): boolean | undefined {
  const folded = foldForMatch(text);
  const ws = words(folded);
  if (YES_SET.has(folded) || (ws.length > 0 && YES_SET.has(ws[0] as string) && !NO_SET.has(ws[0] as string))) return true;
  if (NO_SET.has(folded) || (ws.length > 0 && NO_SET.has(ws[0] as string))) return false;
  return undefined;
}

export const isSkip = (text: string): boolean => SKIP_SET.has(foldForMatch(text));

/**
 * "2026-03-21", "21/03/2026", "21.3.2026", in any digit system -> "2026-03-21". Persian
 * customers write Solar Hijri dates ("۱۴۰۵/۰۱/۰۱"): with locale fa, years 1200-1599 are read
 * as Jalali and converted. Other years before 1900 are refused rather than misread.
 */
export function parseDate(text: string, locale?: string): string | undefined {
  const ascii = toAsciiDigits(text.trim());
  let y: number;
  let m: number;
  let d: number;
  const iso = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(ascii);
  const dmy = /^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$/.exec(ascii);
  if (iso) [y, m, d] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  else if (dmy) [d, m, y] = [Number(dmy[1]), Number(dmy[2]), Number(dmy[3])];
  else return undefined;
  if (locale === 'fa' && y >= 1200 && y < 1600) {
    if (!isValidJalaaliDate(y, m, d)) return undefined;
    ({ gy: y, gm: m, gd: d } = toGregorian(y, m, d));
  }
  if (y < 1900) return undefined;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return undefined;
  return date.toISOString().slice(0, 10);
}

/** The choice a customer picked: by button/list id, by its number, by its label or one of its words. */
export function parseChoice(ask: Ask, stepId: string, input: AnswerInput, locale: string): { id: string; label: string } | undefined {
  const choices = ask.choices ?? [];
  const labelOf = (c: (typeof choices)[number]) => localize(c.label, locale);
  if (input.interactiveReplyId) {
    const byId = choices.find((c) => input.interactiveReplyId === choiceReplyId(stepId, c.id) || input.interactiveReplyId === c.id);
    if (byId) return { id: byId.id, label: labelOf(byId) };
  }
  const text = input.text?.trim();
  if (!text) return undefined;
  const number = parseInteger(text);
  if (number !== undefined && /^\D*\d+\D{0,2}$/u.test(toAsciiDigits(text))) {
    const picked = choices[number - 1];
    return picked ? { id: picked.id, label: labelOf(picked) } : undefined;
  }
  const folded = foldForMatch(text);
  const matches = (c: (typeof choices)[number]) => {
    const labels = typeof c.label === 'string' ? [c.label] : Object.values(c.label);
    const extra = !c.match ? [] : Array.isArray(c.match) ? c.match : Object.values(c.match).flat();
    return [...labels, ...extra, c.id].some((w) => {
      const f = foldForMatch(w);
      return f === folded || (f.length >= 3 && ` ${folded} `.includes(` ${f} `));
    });
  };
  const found = choices.filter(matches);
  return found.length === 1 ? { id: (found[0] as (typeof choices)[number]).id, label: labelOf(found[0] as (typeof choices)[number]) } : undefined;
}

export const choiceReplyId = (stepId: string, choiceId: string): string => `${stepId}:${choiceId}`;

export function ratingScale(ask: Ask): { min: number; max: number } {
  if (ask.type === 'nps') return { min: 0, max: 10 };
  return ask.scale ?? { min: 1, max: 5 };
}

/** Reads an answer of the ask's type; `ok: false` carries why, for logs and stats. */
export function parseAnswer(ask: Ask, stepId: string, input: AnswerInput, locale: string, defaultRegion?: string): Answer {
  const text = input.text?.trim() ?? '';
  if (ask.optional && text && isSkip(text) && ask.type !== 'yes_no') return { ok: true, value: null, display: '' };
  switch (ask.type) {
    case 'text':
      if (text) return { ok: true, value: text, display: text };
      if (ask.accept_attachments && (input.attachments?.length ?? 0) > 0) return { ok: true, value: '', display: '' };
      return { ok: false, reason: 'empty answer' };
    case 'choice': {
      const choice = parseChoice(ask, stepId, input, locale);
      return choice ? { ok: true, value: choice.id, display: choice.label } : { ok: false, reason: 'no choice matched' };
    }
    case 'rating':
    case 'nps': {
      const { min, max } = ratingScale(ask);
      const fromReply = input.interactiveReplyId?.startsWith(`${stepId}:`) ? Number(input.interactiveReplyId.slice(stepId.length + 1)) : undefined;
      const value = fromReply ?? parseInteger(text);
      if (value === undefined || Number.isNaN(value)) return { ok: false, reason: 'not a number' };
      if (value < min || value > max) return { ok: false, reason: `outside ${min}-${max}` };
      return { ok: true, value, display: String(value) };
    }
    case 'yes_no': {
      const reply = input.interactiveReplyId === `${stepId}:yes` ? true : input.interactiveReplyId === `${stepId}:no` ? false : parseYesNo(text);
      return reply === undefined ? { ok: false, reason: 'not yes or no' } : { ok: true, value: reply, display: reply ? 'yes' : 'no' };
    }
    case 'number': {
      const value = parseDecimal(text);
      if (value === undefined) return { ok: false, reason: 'not a number' };
      if ((ask.min !== undefined && value < ask.min) || (ask.max !== undefined && value > ask.max)) return { ok: false, reason: 'out of range' };
      return { ok: true, value, display: String(value) };
    }
    case 'email':
      try {
        const email = normalizeEmail(text);
        return { ok: true, value: email, display: email };
      } catch (error) {
        return { ok: false, reason: (error as Error).message };
      }
    case 'phone':
      try {
        const phone = normalizePhone(text, defaultRegion);
        return { ok: true, value: phone, display: phone };
      } catch (error) {
        return { ok: false, reason: (error as Error).message };
      }
    case 'date': {
      const date = parseDate(text, locale);
      return date ? { ok: true, value: date, display: date } : { ok: false, reason: 'not a date' };
    }
  }
}
