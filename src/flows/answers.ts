import { type CountryCode, findPhoneNumbersInText } from 'libphonenumber-js/max';
import { normalizeEmail, normalizePhone, toAsciiDigits } from '../core/address.ts';
import { foldForMatch } from '../core/text.ts';
import { parseDate } from './dates.ts';
import { bestMatch, contentWords, matchScore } from './fuzzy.ts';
import type { Intent } from './intent.ts';
import { NO_WORDS, NUMBER_WORDS, QUALITY_WORDS, SKIP_WORDS, STAR_PATTERN, YES_WORDS } from './lexicon.ts';
import { parseName } from './names.ts';
import type { Ask } from './schema.ts';
import { localize } from './text.ts';

export { parseDate } from './dates.ts';

/** What the customer sent in answer to an ask. */
export interface AnswerInput {
  readonly text?: string;
  readonly interactiveReplyId?: string;
  readonly attachments?: readonly unknown[];
}

export type Answer =
  { readonly ok: true; readonly value: string | number | boolean | null; readonly display: string } | { readonly ok: false; readonly reason: string };

const words = (folded: string) => folded.split(/[\s\p{P}\p{S}]+/u).filter(Boolean);
/** Folded, with skin tones and the joiners of emoji sequences gone ("👍🏽" is "👍"), end punctuation dropped. */
const foldAnswer = (text: string) =>
  foldForMatch(text)
    .replace(/[\p{Emoji_Modifier}\u200d]/gu, '')
    .replace(/[.!?؟،,]+$/u, '')
    .trim();

/** What an answer is read against besides the ask itself. */
export interface AnswerContext {
  readonly locale: string;
  /** Reads national phone numbers ("0912 ...") in this region. */
  readonly defaultRegion?: string;
  /** For relative dates ("tomorrow", "فردا") and dates without a year. */
  readonly now?: Date;
  readonly timeZone?: string;
}

/** A whole-number answer: digits in any system ("۵", "٥", "5/5", "5 stars"), or a number word. */
export function parseInteger(text: string): number | undefined {
  const folded = foldForMatch(text);
  const digits = /^\D*?(-?\d+)(?:\s*\/\s*\d+)?\D*$/u.exec(folded);
  if (digits) return Number(digits[1]);
  const ws = words(folded);
  return ws.length === 1 ? NUMBER_WORDS.get(ws[0] as string) : undefined;
}

/**
 * A decimal answer: "12.5", "۱۲٫۵", "1,234.5", "۱٬۲۳۴", "١،٢٣٤". A comma (Latin, Arabic or
 * Persian) counts only as a thousands separator, between groups of three digits: "1,5" is
 * refused rather than guessed.
 */
export function parseDecimal(text: string): number | undefined {
  const ascii = toAsciiDigits(text.trim()).replace('٫', '.');
  const match = /^(-?)(\d{1,3}(?:[,،٬]\d{3})+|\d+)(\.\d+)?$/.exec(ascii);
  if (!match) return undefined;
  return Number(`${match[1]}${(match[2] as string).replace(/[,،٬]/g, '')}${match[3] ?? ''}`);
}

export function parseYesNo(text: string): boolean | undefined {
  const folded = foldAnswer(text);
  if (YES_WORDS.has(folded)) return true;
  if (NO_WORDS.has(folded) || NO_WORDS.has(folded.replace(/ /g, ''))) return false;
  const ws = words(folded);
  const first = ws[0];
  const firstTwo = ws.slice(0, 2).join(' ');
  if (first === undefined) return undefined;
  if (NO_WORDS.has(firstTwo) || NO_WORDS.has(first) || NO_WORDS.has(ws.slice(0, 2).join(''))) return false;
  if (YES_WORDS.has(firstTwo) || YES_WORDS.has(first)) return true;
  return undefined;
}

export const isSkip = (text: string): boolean => SKIP_WORDS.has(foldAnswer(text));

/** A rating scale's ends (NPS is 0-10; a rating defaults to 1-5). */
export function ratingScale(ask: Ask): { min: number; max: number } {
  if (ask.type === 'nps') return { min: 0, max: 10 };
  return ask.scale ?? { min: 1, max: 5 };
}

/**
 * A rating on the ask's scale from what customers type:
 * - a number in any digit system ("4", "۴", "٤"), a number word ("four", "چهار"), "4/5" when 5
 *   is the scale's top;
 * - "X of Y" on another scale ("۱۰ از ۱۰", "4 out of 5", "٤ من ٥", "8/10"): X × top / Y;
 * - stars ("⭐⭐⭐⭐") and verdicts ("عالی", "great", "سيء", 😡): on a 1-5 scale, converted the same way;
 * - a decimal inside the scale ("4.5").
 * Conversions round half up ("4.5" is 5, "7 of 10" on 1-5 is 4) and stay within the scale.
 */
export function parseRating(text: string, scale: { min: number; max: number }): number | undefined {
  const folded = foldAnswer(text);
  const toScale = (value: number, of: number) => Math.min(scale.max, Math.max(scale.min, Math.floor((value * scale.max) / of + 0.5)));
  const outOf = /^\D*?(\d+(?:[.٫]\d+)?)\s*(?:\/|of|out of|از|من|on)\s*(\d+)\D*$/u.exec(folded.replace(/(\d)\s*\/\s*(\d)/, '$1 / $2'));
  if (outOf) {
    const [value, of] = [Number(outOf[1]), Number(outOf[2])];
    if (of <= 0 || value > of) return undefined;
    return of === scale.max ? value : toScale(value, of);
  }
  const stars = text.match(STAR_PATTERN)?.length ?? 0;
  if (stars > 0 && text.replace(STAR_PATTERN, '').replace(/[\s\p{Mn}]/gu, '') === '') return toScale(Math.min(stars, 5), 5);
  const decimal = parseDecimal(folded);
  if (decimal !== undefined && !Number.isInteger(decimal)) return decimal >= scale.min && decimal <= scale.max ? toScale(decimal, scale.max) : undefined;
  const integer = parseInteger(folded);
  if (integer !== undefined) return integer;
  const verdict = QUALITY_WORDS.get(folded) ?? QUALITY_WORDS.get(words(folded).join(' ')) ?? QUALITY_WORDS.get(contentWords(folded).join(' '));
  return verdict === undefined ? undefined : toScale(verdict, 5);
}

/** The choice a customer picked: by button/list id, by its number, by its label, a synonym or a word of them (typos allowed). */
export function parseChoice(ask: Ask, stepId: string, input: AnswerInput, locale: string): { id: string; label: string } | undefined {
  const choices = ask.choices ?? [];
  const picked = (c: (typeof choices)[number] | undefined) => (c ? { id: c.id, label: localize(c.label, locale) } : undefined);
  if (input.interactiveReplyId) {
    const byId = choices.find((c) => input.interactiveReplyId === choiceReplyId(stepId, c.id) || input.interactiveReplyId === c.id);
    if (byId) return picked(byId);
  }
  const text = input.text?.trim();
  if (!text) return undefined;
  const number = parseInteger(text);
  if (number !== undefined && /^\D*\d+\D{0,2}$/u.test(toAsciiDigits(text))) return picked(choices[number - 1]);
  const phrasesOf = (c: (typeof choices)[number]) => {
    const labels = typeof c.label === 'string' ? [c.label] : Object.values(c.label);
    const synonyms = !c.match ? [] : Array.isArray(c.match) ? c.match : Object.values(c.match).flat();
    return [...labels, ...synonyms, c.id.replace(/[_-]+/g, ' ')];
  };
  const folded = foldForMatch(text);
  const exact = choices.filter((c) => phrasesOf(c).some((p) => foldForMatch(p) === folded));
  if (exact.length === 1) return picked(exact[0]);
  return picked(bestMatch(choices, (c) => matchScore(text, phrasesOf(c))));
}

/** The choice an intent stands for: the one that names it, else the one whose id is the intent. */
export function choiceForIntent(ask: Ask, intent: Intent, locale: string): { id: string; label: string } | undefined {
  if (intent === 'other') return undefined;
  const choices = ask.choices ?? [];
  const choice = choices.find((c) => c.intent === intent) ?? choices.find((c) => c.id === intent && c.intent === undefined);
  return choice ? { id: choice.id, label: localize(choice.label, locale) } : undefined;
}

export const choiceReplyId = (stepId: string, choiceId: string): string => `${stepId}:${choiceId}`;

const EMAIL_IN_TEXT = /[^\s@<>()[\]"',;:،؛]+@[^\s@<>()[\]"',;:،؛]+\.[^\s@<>()[\]"',;:،؛.]+/gu;

/** The one email address in a sentence ("my email is Sara@Example.com, thanks"). */
export function findEmail(text: string): string | undefined {
  const found = new Set<string>();
  for (const candidate of text.match(EMAIL_IN_TEXT) ?? []) {
    try {
      found.add(normalizeEmail(candidate));
    } catch {
      // not an address after all
    }
  }
  return found.size === 1 ? [...found][0] : undefined;
}

/** The one phone number in a sentence ("call me on ۰۹۱۲ ۱۲۳ ۴۵۶۷ after 5"), in E.164; local numbers read in the first region they fit. */
export function findPhone(text: string, defaultRegion?: string): string | undefined {
  const ascii = toAsciiDigits(text);
  const regions: (string | undefined)[] = defaultRegion ? defaultRegion.split(',') : [undefined];
  for (const region of regions) {
    const found = new Set(
      findPhoneNumbersInText(ascii, region ? { defaultCountry: region as CountryCode } : undefined)
        .filter((n) => n.number.isValid())
        .map((n) => n.number.number),
    );
    if (found.size > 0) return found.size === 1 ? [...found][0] : undefined;
  }
  return undefined;
}

/** Reads an answer of the ask's type; `ok: false` carries why, for logs and stats. */
export function parseAnswer(ask: Ask, stepId: string, input: AnswerInput, context: AnswerContext): Answer {
  const { locale, defaultRegion } = context;
  const text = input.text?.trim() ?? '';
  if (ask.optional && text && isSkip(text) && ask.type !== 'yes_no') return { ok: true, value: null, display: '' };
  switch (ask.type) {
    case 'text':
      if (text) return { ok: true, value: text, display: text };
      if (ask.accept_attachments && (input.attachments?.length ?? 0) > 0) return { ok: true, value: '', display: '' };
      return { ok: false, reason: 'empty answer' };
    case 'name': {
      const name = parseName(text);
      return name.ok ? { ok: true, value: name.name, display: name.name } : { ok: false, reason: name.reason };
    }
    case 'choice': {
      const choice = parseChoice(ask, stepId, input, locale);
      return choice ? { ok: true, value: choice.id, display: choice.label } : { ok: false, reason: 'no choice matched' };
    }
    case 'rating':
    case 'nps': {
      const { min, max } = ratingScale(ask);
      const fromReply = input.interactiveReplyId?.startsWith(`${stepId}:`) ? Number(input.interactiveReplyId.slice(stepId.length + 1)) : undefined;
      const value = fromReply ?? parseRating(text, { min, max });
      if (value === undefined || Number.isNaN(value)) return { ok: false, reason: 'not a rating' };
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
        const inSentence = findEmail(text);
        return inSentence ? { ok: true, value: inSentence, display: inSentence } : { ok: false, reason: (error as Error).message };
      }
    case 'phone':
      try {
        const phone = normalizePhone(text, defaultRegion);
        return { ok: true, value: phone, display: phone };
      } catch (error) {
        const inSentence = findPhone(text, defaultRegion);
        return inSentence ? { ok: true, value: inSentence, display: inSentence } : { ok: false, reason: (error as Error).message };
      }
    case 'date': {
      const date = parseDate(text, context);
      return date ? { ok: true, value: date, display: date } : { ok: false, reason: 'not a date' };
    }
  }
}
