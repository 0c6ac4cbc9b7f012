import type { ConsentAction } from '../../src/core/message.ts';
import type { Locale } from '../../src/core/locale.ts';
import { foldForMatch } from '../../src/core/text.ts';

/**
 * Carrier keywords, matched on the whole message (as carriers do): the CTIA/Twilio English set
 * plus the Persian and Arabic words customers in Iran and the Gulf send ("لغو" is what Iranian
 * operators use for unsubscribing).
 */
const KEYWORDS: readonly (readonly [ConsentAction, Locale, readonly string[]])[] = [
  ['opt_out', 'en', ['stop', 'stopall', 'unsubscribe', 'cancel', 'end', 'quit', 'optout', 'opt out', 'revoke']],
  ['opt_out', 'fa', ['لغو', 'توقف', 'انصراف']],
  ['opt_out', 'ar', ['ایقاف', 'الغاء', 'الغا']],
  ['opt_in', 'en', ['start', 'unstop', 'subscribe', 'optin', 'opt in']],
  ['opt_in', 'fa', ['شروع', 'عضویت']],
  ['opt_in', 'ar', ['ابدا', 'اشتراک']],
  ['help', 'en', ['help', 'info']],
  ['help', 'fa', ['راهنما', 'کمک']],
  ['help', 'ar', ['مساعده']],
];

const BY_WORD = new Map<string, { action: ConsentAction; locale: Locale }>(
  KEYWORDS.flatMap(([action, locale, words]) => words.map((w) => [foldForMatch(w), { action, locale }] as const)),
);

/** The consent action a message asks for, or undefined for an ordinary message. */
export function consentKeyword(text: string | undefined): { action: ConsentAction; keyword: string; locale: Locale } | undefined {
  if (!text) return undefined;
  const folded = foldForMatch(text).replace(/[.!؟?،,]+$/u, '');
  const found = BY_WORD.get(folded);
  return found ? { ...found, keyword: folded } : undefined;
}
