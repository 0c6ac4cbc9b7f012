import { toAsciiDigits } from '../../src/core/address.ts';
import { foldForMatch } from '../../src/core/text.ts';

// Reply and forward prefixes of common clients and languages, incl. Persian and Arabic ones.
const PREFIX =
  /^\s*(?:re|fw|fwd|aw|wg|sv|vs|antw|rif|tr|r|enc|odp|ynt|رد|پاسخ|جواب|ارسال|ارجاع|فوروارد|إعادة توجيه|اعادة توجيه|توجيه)\s*(?:\[\d+\]|\(\d+\))?\s*[:：﹕]\s*/iu;
const TOKEN = (prefix: string) => new RegExp(`\\[#${prefix}-([0-9A-Z]{8})\\]`, 'i');

export function formatToken(prefix: string, ref: string): string {
  return `[#${prefix}-${ref}]`;
}

/** The conversation ref quoted in a subject, e.g. "Re: Order [#PRL-K7Q3M9XA]" -> "K7Q3M9XA". */
export function tokenOf(subject: string | undefined, prefix: string): string | undefined {
  if (!subject) return undefined;
  return TOKEN(prefix).exec(toAsciiDigits(subject))?.[1]?.toUpperCase();
}

/** The subject without reply/forward prefixes, list tags and the token: what a human would call the subject. */
export function stripSubject(subject: string, prefix: string): string {
  let text = subject.replace(TOKEN(prefix), ' ');
  for (let previous = ''; previous !== text;) {
    previous = text;
    text = text.replace(PREFIX, '').replace(/^\s*\[[^\]#]{1,40}\]\s*/, '');
  }
  return text.replace(/\s+/g, ' ').trim();
}

/** Comparison key of a subject; undefined for an empty or generic one, which must never merge mail. */
export function subjectKey(subject: string | undefined, prefix: string): string | undefined {
  if (!subject) return undefined;
  const key = foldForMatch(stripSubject(subject, prefix));
  return key.length >= 3 ? key : undefined;
}

/** Subject of a reply: "Re: <subject> [#PRL-ref]", never a second Re: or token. */
export function replySubject(subject: string | null, ref: string | null, prefix: string, fallback: string): string {
  const base = stripSubject(subject ?? '', prefix) || fallback;
  return `Re: ${base}${ref ? ` ${formatToken(prefix, ref)}` : ''}`;
}
