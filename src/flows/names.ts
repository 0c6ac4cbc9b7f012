import { foldForMatch } from '../core/text.ts';
import { isIntentWord } from './intent.ts';
import { STOP_WORDS } from './lexicon.ts';

export type NameAnswer = { readonly ok: true; readonly name: string } | { readonly ok: false; readonly reason: string };

// "My name is Sara", "I'm Sara", "اسمم سارا است", "من سارا هستم", "اسمي سارة", "أنا سارة".
const INTRODUCTIONS = [
  /^(?:hi|hello|hey)?[\s,!]*(?:my name is|my name's|name is|name's|i am|i'm|im|this is|it's|it is|call me|you can call me)\s+/iu,
  /^(?:سلام)?[\s،,!]*(?:اسم من|اسمم|اسم بنده|من|بنده|منو)\s+/u,
  /^(?:مرحبا|السلام عليكم)?[\s،,!]*(?:اسمي|انا|أنا|إسمي|ناديني)\s+/u,
];
const ENDINGS = /\s+(?:هستم|هست|است|هستش|صدا کنید|صدام کنید|بگید)$/u;
const GREETINGS = new Set(['hi', 'hello', 'hey', 'سلام', 'درود', 'مرحبا', 'اهلا', 'هلا', 'salam'].map(foldForMatch));

const MAX_WORDS = 4;
const MAX_LENGTH = 60;

/**
 * A person's name from an answer to "what should we call you?": the introduction around it
 * dropped ("I'm Sara" is "Sara"), all-lowercase Latin names capitalised. Sentences, greetings,
 * addresses, numbers and long texts are refused, so "I want to complain", an email body or an
 * out-of-office notice never becomes a customer's name.
 */
export function parseName(text: string): NameAnswer {
  let name = text
    .normalize('NFC')
    .replace(/[\s\u00a0]+/gu, ' ')
    .trim()
    .replace(/[.!؟?]+$/u, '');
  for (const intro of INTRODUCTIONS) name = name.replace(intro, '');
  name = name.replace(ENDINGS, '').trim();
  if (!name) return { ok: false, reason: 'empty answer' };
  if (name.length > MAX_LENGTH || text.includes('\n')) return { ok: false, reason: 'too long for a name' };
  if (/[\p{Nd}@#/\\:=<>_{}[\]|]/u.test(name) || /https?:|www\./iu.test(name)) return { ok: false, reason: 'contains digits, an address or symbols' };
  if (!/^[\p{L}\p{M}][\p{L}\p{M}'’.\- \u200c]*$/u.test(name)) return { ok: false, reason: 'contains characters names do not have' };
  const words = name.split(' ');
  if (words.length > MAX_WORDS) return { ok: false, reason: 'reads as a sentence, not a name' };
  const folded = words.map((w) => foldForMatch(w));
  if (folded.some((w) => STOP_WORDS.has(w))) return { ok: false, reason: 'reads as a sentence, not a name' };
  if (folded.every((w) => GREETINGS.has(w))) return { ok: false, reason: 'a greeting, not a name' };
  if (words.some(isIntentWord)) return { ok: false, reason: 'reads as a request, not a name' };
  return { ok: true, name: words.map(capitalise).join(' ') };
}

/** "sara" is "Sara"; a name typed with capitals ("McDonald", "de la Cruz") is kept as typed. */
function capitalise(word: string): string {
  return /^[a-z]/.test(word) && word === word.toLowerCase() ? `${word[0]?.toUpperCase()}${word.slice(1)}` : word;
}
