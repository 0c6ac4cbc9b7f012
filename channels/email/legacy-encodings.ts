import iconv from 'iconv-lite';
import { latin1Test } from './latin1.ts';

/**
 * Encodings old mail clients still send that mailparser leaves undecoded:
 * - UTF-7 (RFC 2152): libmime refuses it on purpose, because in HTML it can smuggle markup past
 *   filters. Parley shows mail as plain text (HTML goes through html-to-text after decoding), so
 *   decoding it here is safe.
 * - uuencode: `begin 644 name` ... `end` blocks in a text body, or a part with
 *   Content-Transfer-Encoding: x-uuencode (mailparser gives such parts as empty).
 */

const UTF7_CHARSET = /^(?:unicode-1-1-)?utf-7$/i;
/** A charset=utf-7 parameter anywhere in the mail's MIME headers. */
const UTF7_DECLARED = /charset\s*=\s*"?(?:unicode-1-1-)?utf-7"?/i;

export const declaresUtf7 = (source: Buffer): boolean => latin1Test(source, UTF7_DECLARED);

export const decodeUtf7 = (text: string): string => iconv.decode(Buffer.from(text, 'latin1'), 'utf7');

/** RFC 2047 encoded words (=?charset?Q|B?text?=) of a raw header value, any charset iconv-lite knows. */
const ENCODED_WORD = /=\?([^?*]+)(?:\*[^?]*)?\?([QqBb])\?([^?]*)\?=/g;

function decodeWord(charset: string, encoding: string, text: string): string {
  const bytes =
    encoding.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64')
      : Buffer.from(
          text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
          'latin1',
        );
  const name = UTF7_CHARSET.test(charset) ? 'utf7' : charset;
  return iconv.encodingExists(name) ? iconv.decode(bytes, name) : bytes.toString('latin1');
}

/** A header value with UTF-7 encoded words decoded (with the other words beside them), or undefined when it has none. */
export function decodeUtf7Header(rawValue: string): string | undefined {
  const unfolded = rawValue.replace(/\r?\n[ \t]+/g, ' ');
  if (![...unfolded.matchAll(ENCODED_WORD)].some((m) => UTF7_CHARSET.test(m[1] as string))) return undefined;
  // Whitespace between two encoded words is not part of the text (RFC 2047 §6.2).
  return unfolded
    .replace(/(\?=)\s+(?==\?)/g, '$1')
    .replace(ENCODED_WORD, (_, charset: string, encoding: string, text: string) => decodeWord(charset, encoding, text))
    .trim();
}

export interface UuencodedFile {
  readonly fileName: string;
  readonly content: Buffer;
}

const UU_BLOCK = /^begin [0-7]{3,4} ([^\r\n]+)\r?\n([\s\S]*?)^end[ \t]*$/gm;

/** One uuencoded line: a length character, then 4 characters for every 3 bytes (each char - 32, 6 bits). */
function uudecodeLine(line: string): Buffer {
  const length = (line.charCodeAt(0) - 32) & 0x3f;
  const out = Buffer.alloc(length);
  const sextet = (i: number) => ((line.charCodeAt(i) || 32) - 32) & 0x3f;
  for (let i = 1, o = 0; o < length; i += 4) {
    const [a, b, c, d] = [sextet(i), sextet(i + 1), sextet(i + 2), sextet(i + 3)];
    if (o < length) out[o++] = (a << 2) | (b >> 4);
    if (o < length) out[o++] = ((b & 0x0f) << 4) | (c >> 2);
    if (o < length) out[o++] = ((c & 0x03) << 6) | d;
  }
  return out;
}

/** The uuencoded files in a text, and the text without them. */
export function extractUuencoded(text: string): { files: UuencodedFile[]; rest: string } {
  const files: UuencodedFile[] = [];
  const rest = text.replace(UU_BLOCK, (_, name: string, body: string) => {
    const lines = body.split(/\r?\n/).filter((l) => l.length > 0 && l !== '`');
    files.push({ fileName: name.trim(), content: Buffer.concat(lines.map(uudecodeLine)) });
    return '';
  });
  return { files, rest };
}
