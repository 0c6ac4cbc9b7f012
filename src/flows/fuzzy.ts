import levenshtein from 'damerau-levenshtein';
import { foldForMatch } from '../core/text.ts';
import { STOP_WORDS } from './lexicon.ts';

/** Punctuation and symbols of the three scripts that separate words. */
const WORD_BREAK = /[\s\p{P}\p{S}]+/u;

/** The meaningful words of a text: folded, punctuation gone, stop words and "'s" dropped. */
export function contentWords(text: string): string[] {
  return foldForMatch(text.replace(/['’]s\b/giu, ''))
    .split(WORD_BREAK)
    .map(stripArticle)
    .filter((w) => w.length > 0 && !STOP_WORDS.has(w));
}

/** The Arabic article ("المنتج" is "منتج") on words long enough to carry one. */
const stripArticle = (word: string): string => (word.length >= 5 && word.startsWith('ال') ? word.slice(2) : word);

/**
 * Two words are the same answer when equal, or one typo apart (a letter missing, extra, wrong
 * or two swapped) for words of 4+ letters, two typos for 8+. Shorter words must match exactly:
 * "bad" and "bag" are different answers.
 */
export function sameWord(a: string, b: string): boolean {
  if (a === b) return true;
  const shorter = Math.min(a.length, b.length);
  if (shorter < 4) return false;
  const allowed = shorter >= 8 ? 2 : 1;
  if (Math.abs(a.length - b.length) > allowed) return false;
  return levenshtein(a, b).steps <= allowed;
}

/**
 * How well a customer's text names one option (given by its labels and synonyms): the number
 * of the text's words found among the option's words. A phrase written with a space where the
 * option has none, or the other way round ("می خواهم", "میخواهم"), also counts.
 */
export function matchScore(text: string, optionPhrases: readonly string[]): number {
  const words = contentWords(text);
  if (words.length === 0) return 0;
  const squashed = words.join('');
  let best = 0;
  for (const phrase of optionPhrases) {
    const optionWords = contentWords(phrase);
    if (optionWords.length === 0) continue;
    const found = words.filter((w) => optionWords.some((o) => sameWord(w, o))).length;
    const whole = sameWord(squashed, optionWords.join('')) ? optionWords.length : 0;
    best = Math.max(best, found, whole);
  }
  return best;
}

/** The one option with the best score above zero; none when two options tie. */
export function bestMatch<T>(options: readonly T[], score: (option: T) => number): T | undefined {
  let winner: T | undefined;
  let top = 0;
  let tie = false;
  for (const option of options) {
    const s = score(option);
    if (s > top) [winner, top, tie] = [option, s, false];
    else if (s === top && s > 0) tie = true;
  }
  return tie ? undefined : winner;
}
