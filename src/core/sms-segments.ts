/**
 * SMS segment arithmetic (3GPP TS 23.038 / 23.040). Text that fits the GSM 03.38 alphabet is
 * sent in 7-bit units: 160 a message, 153 a segment once concatenated, and the extension
 * characters (^ { } \ [ ~ ] | € and form feed) take two units each. Anything else (Persian,
 * Arabic, emoji, most accents) forces UCS-2: 70 UTF-16 units a message, 67 a segment.
 */

const GSM_BASIC = new Set(
  Array.from('@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà'),
);
const GSM_EXTENSION = new Set(Array.from('^{}\\[~]|€\f'));

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SegmentCount {
  readonly encoding: SmsEncoding;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  readonly units: number;
  readonly segments: number;
  /** Units that fit one segment of this message (160/153 or 70/67). */
  readonly unitsPerSegment: number;
}

export function encodingOf(text: string): SmsEncoding {
  for (const ch of text) if (!GSM_BASIC.has(ch) && !GSM_EXTENSION.has(ch)) return 'UCS-2';
  return 'GSM-7';
}

const unitCost = (ch: string, encoding: SmsEncoding) => (encoding === 'GSM-7' ? (GSM_EXTENSION.has(ch) ? 2 : 1) : ch.length);

export function countSegments(text: string): SegmentCount {
  const encoding = encodingOf(text);
  const [single, multi] = encoding === 'GSM-7' ? [160, 153] : [70, 67];
  const chars = Array.from(text);
  const units = chars.reduce((sum, ch) => sum + unitCost(ch, encoding), 0);
  if (units <= single) return { encoding, units, segments: 1, unitsPerSegment: single };
  // A two-unit character (escape pair, surrogate pair) is never split across segments.
  let segments = 1;
  let used = 0;
  for (const ch of chars) {
    const cost = unitCost(ch, encoding);
    if (used + cost > multi) {
      segments++;
      used = 0;
    }
    used += cost;
  }
  return { encoding, units, segments, unitsPerSegment: multi };
}

export type SegmentLimitMode = 'split' | 'truncate';

/**
 * Text within `maxSegments` per message: `truncate` cuts it (at a word where possible) and
 * ends it with an ellipsis; `split` sends it as several messages, each within the limit.
 */
export function limitSegments(text: string, maxSegments: number, mode: SegmentLimitMode): string[] {
  if (countSegments(text).segments <= maxSegments) return [text];
  if (mode === 'truncate') {
    const ellipsis = encodingOf(text) === 'GSM-7' ? '...' : '…';
    return [`${longestPrefix(Array.from(text), maxSegments, ellipsis).trimEnd()}${ellipsis}`];
  }
  const parts: string[] = [];
  let rest = Array.from(text);
  while (rest.length > 0) {
    const part = longestPrefix(rest, maxSegments, '');
    const taken = Array.from(part).length;
    parts.push(part.trim());
    rest = Array.from(rest.slice(taken).join('').trimStart());
  }
  return parts.filter((p) => p.length > 0);
}

/** The longest prefix (ending at a space or line break if one is in its second half) that fits with `suffix`. */
function longestPrefix(chars: string[], maxSegments: number, suffix: string): string {
  const fits = (n: number) => countSegments(chars.slice(0, n).join('') + suffix).segments <= maxSegments;
  let low = 1;
  let high = chars.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (fits(mid)) low = mid;
    else high = mid - 1;
  }
  if (low < chars.length) {
    for (let i = low; i > low / 2; i--) if (/\s/.test(chars[i] ?? '')) return chars.slice(0, i).join('');
  }
  return chars.slice(0, low).join('');
}
