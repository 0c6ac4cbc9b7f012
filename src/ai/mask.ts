/**
 * Personal data masked out of text before it leaves Parley for a model: email addresses,
 * card numbers (Luhn-valid runs of 13-19 digits) and phone numbers, written in ASCII,
 * Persian (۰-۹) or Arabic-Indic (٠-٩) digits, with the separators people type (spaces,
 * dashes, dots, parentheses, bidi marks). The placeholders say what was there.
 */
export const MASKS = { email: '[email]', card: '[card]', phone: '[phone]' } as const;

const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/gu;
const DIGIT = '[0-9\u06f0-\u06f9\u0660-\u0669]';
// Up to two separators between digits: "+98 (912) 123-4567", "۰۹۱۲ ۱۲۳ ۴۵۶۷", "4111-1111-1111-1111".
const SEPARATOR = '[\\s\\-.()/\u200e\u200f\u202a-\u202e\u2066-\u2069]';
const NUMBER_RUN = new RegExp(`(?:\\+|(?<![0-9\u06f0-\u06f9\u0660-\u0669]))\\(?${DIGIT}(?:${SEPARATOR}{0,2}${DIGIT})*`, 'gu');

/** Phones carry 9-15 digits (E.164's maximum is 15); with a leading + a shorter run counts too. */
const PHONE_MIN_DIGITS = 9;
const PHONE_MIN_DIGITS_WITH_PLUS = 7;
const PHONE_MAX_DIGITS = 15;

export function maskPersonalData(text: string): string {
  return text.replace(EMAIL, MASKS.email).replace(NUMBER_RUN, (run) => {
    const digits = asciiDigits(run);
    if (digits.length >= 13 && digits.length <= 19 && luhnValid(digits)) return MASKS.card;
    const minimum = run.startsWith('+') ? PHONE_MIN_DIGITS_WITH_PLUS : PHONE_MIN_DIGITS;
    if (digits.length >= minimum && digits.length <= PHONE_MAX_DIGITS) return MASKS.phone;
    return run;
  });
}

function asciiDigits(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    if (code >= 0x30 && code <= 0x39) out += ch;
    else if (code >= 0x06f0 && code <= 0x06f9) out += String(code - 0x06f0);
    else if (code >= 0x0660 && code <= 0x0669) out += String(code - 0x0660);
  }
  return out;
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}
