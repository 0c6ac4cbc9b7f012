import type { ConsentAction } from '../../src/core/message.ts';
import { foldForMatch } from '../../src/core/text.ts';

/**
 * Carrier keywords, matched on the whole message (as carriers do): the CTIA/Twilio English set
 * plus the Persian and Arabic words customers in Iran and the Gulf send ("لغو" is what Iranian
 * operators use for unsubscribing).
 */
const KEYWORDS: Record<ConsentAction, readonly string[]> = {
  opt_out: ['stop', 'stopall', 'unsubscribe', 'cancel', 'end', 'quit', 'optout', 'opt out', 'revoke', 'لغو', 'توقف', 'ایقاف', 'الغاء', 'الغا', 'انصراف'],
  opt_in: ['start', 'unstop', 'subscribe', 'optin', 'opt in', 'شروع', 'عضویت', 'اشتراک', 'ابدا'],
  help: ['help', 'info', 'راهنما', 'کمک', 'مساعده'],
};

const BY_WORD = new Map<string, ConsentAction>(
  (Object.entries(KEYWORDS) as [ConsentAction, readonly string[]][]).flatMap(([action, words]) => words.map((w) => [foldForMatch(w), action] as const)),
);

/** The consent action a message asks for, or undefined for an ordinary message. */
export function consentKeyword(text: string | undefined): { action: ConsentAction; keyword: string } | undefined {
  if (!text) return undefined;
  const folded = foldForMatch(text).replace(/[.!؟?،,]+$/u, '');
  const action = BY_WORD.get(folded);
  return action ? { action, keyword: folded } : undefined;
}
