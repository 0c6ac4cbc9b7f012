/**
 * Short labels (button and list titles) cut to a provider's limit without breaking a
 * character: the cut falls between grapheme clusters (an emoji with its modifiers, a letter
 * with its marks), and the length is counted in UTF-16 code units, which is never less than
 * the count of code points or graphemes a provider may use, so the result fits either way.
 */

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const ELLIPSIS = '…';

const graphemes = (text: string): string[] => Array.from(segmenter.segment(text), (s) => s.segment);

/** `text` within `max` UTF-16 units, ending with "…" when cut; never a lone surrogate or a split emoji. */
export function truncateLabel(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = '';
  for (const g of graphemes(text)) {
    if (out.length + g.length + ELLIPSIS.length > max) break;
    out += g;
  }
  // A trailing space or zero-width (non-)joiner would dangle before the ellipsis.
  return `${out.replace(/[\s\u200c\u200d]+$/u, '')}${ELLIPSIS}`;
}

/**
 * Every label cut to `max` and made unique (providers refuse two buttons with one title): a
 * label that collides with an earlier one gets a number at its end, " 2", " 3", ..., in the
 * digits of its own script (Persian, Arabic-Indic or ASCII), still within `max`.
 */
export function uniqueLabels(labels: readonly string[], max: number): string[] {
  const taken = new Set<string>();
  return labels.map((label) => {
    let candidate = truncateLabel(label.trim(), max);
    for (let n = 2; taken.has(candidate); n++) {
      const suffix = ` ${localDigits(String(n), label)}`;
      candidate = `${truncateLabel(label.trim(), max - suffix.length)}${suffix}`;
    }
    taken.add(candidate);
    return candidate;
  });
}

const PERSIAN_DIGITS = '۰۱۲۳۴۵۶۷۸۹';
const ARABIC_DIGITS = '٠١٢٣٤٥٦٧٨٩';
/** Persian letters Arabic does not use (پ چ ژ گ ک ی): they tell Persian text from Arabic. */
const PERSIAN_ONLY = /[\u067E\u0686\u0698\u06AF\u06A9\u06CC]/;
const ARABIC_SCRIPT = /[\u0600-\u06FF]/;

function localDigits(digits: string, sample: string): string {
  const set = PERSIAN_ONLY.test(sample) ? PERSIAN_DIGITS : ARABIC_SCRIPT.test(sample) ? ARABIC_DIGITS : undefined;
  return set ? digits.replace(/\d/g, (d) => set[Number(d)] as string) : digits;
}
