import { toAsciiDigits } from './address.ts';

/** Arabic letters and their Persian counterparts (and alef/hamza forms) folded to one form. */
export const LETTER_VARIANTS: Readonly<Record<string, string>> = {
  ي: 'ی', // Arabic yeh -> Persian yeh
  ى: 'ی', // alef maksura
  ئ: 'ی',
  ك: 'ک', // Arabic kaf -> Persian keheh
  ة: 'ه', // teh marbuta
  ۀ: 'ه',
  أ: 'ا',
  إ: 'ا',
  آ: 'ا',
  ٱ: 'ا',
  ؤ: 'و',
};
const VARIANT_PATTERN = new RegExp(`[${Object.keys(LETTER_VARIANTS).join('')}]`, 'g');
// Combining marks (Latin accents, Arabic harakat), tatweel, zero-width joiners and bidi controls.
const IGNORABLE = /[\p{Mn}\u0640\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/gu;

/**
 * Text folded for matching: case, diacritics, Arabic/Persian letter variants, digit systems
 * and runs of space do not matter. "Café", "cafe"; "كيك" and "کیک"; "۵" and "5" compare equal.
 */
export function foldForMatch(text: string): string {
  return toAsciiDigits(text)
    .normalize('NFKD')
    .replace(IGNORABLE, '')
    .replace(VARIANT_PATTERN, (ch) => LETTER_VARIANTS[ch] ?? ch)
    .toLowerCase()
    .replace(/[\s\u00a0\u200c]+/g, ' ')
    .trim();
}

// U+0000 is refused by PostgreSQL in text and jsonb alike; a lone UTF-16 surrogate has no UTF-8
// form (jsonb refuses its \uD800 escape, SQLite would store invalid UTF-8).
// https://www.postgresql.org/docs/current/datatype-json.html ("\u0000 is disallowed")
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** The text as both databases store it: NUL removed, each lone surrogate replaced by U+FFFD. */
export function storableText(text: string): string {
  return text.replaceAll('\u0000', '').replace(LONE_SURROGATE, '\uFFFD');
}
