import { compile } from 'html-to-text';
import iconv from 'iconv-lite';
import type { ParsedMail } from 'mailparser';
import { MAX_TEXT_LENGTH } from '../../src/core/message.ts';
import { declaresUtf7, decodeUtf7, extractUuencoded, type UuencodedFile } from './legacy-encodings.ts';
import { latin1Captures, latin1Of, latin1Test } from './latin1.ts';
import { type AttachmentSink, readMime, type StreamedMail } from './mime.ts';

/**
 * checksumAlgo false: mailparser's MD5 of every part is never read (stored files get a SHA-256 as
 * they stream). skipHtmlToText: an HTML-only mail is converted once, by readBody with Parley's
 * options (images and link targets left out, quoted blocks known), not first by mailparser too.
 */
const PARSER_OPTIONS = { skipTextToHtml: true, skipImageLinks: true, skipTextLinks: true, skipHtmlToText: true, checksumAlgo: false } as const;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * RFC 2046 §5.1.1 allows blanks after a boundary line ("transport padding"); mailsplit does not
 * recognise such a line, so every part after it is lost. The blanks are removed before parsing
 * (the stored original keeps them).
 */
export function withoutBoundaryPadding(source: Buffer): Buffer {
  const boundaries = [...latin1Captures(source, /boundary\s*=\s*(?:"([^"\r\n]+)"|([^\s;]+))/gi)];
  if (boundaries.length === 0) return source;
  const padded = new RegExp(`^(--(?:${boundaries.map(escapeRegExp).join('|')})(?:--)?)[ \\t]+(?=\\r?\\n)`, 'gm');
  // The whole mail becomes one string only when there is something to repair.
  return latin1Test(source, padded) ? Buffer.from(latin1Of(source).replace(padded, '$1'), 'latin1') : source;
}

/**
 * format=flowed (RFC 3676): a line ending in a space joins the next one only at the same quote
 * depth (§4.5). The libmime that mailsplit 5.4.19 brings joins across depths, so a bottom-posted
 * reply ("> Hi \nHello") becomes one quoted line and the reply is lost. Such trailing spaces are
 * removed before parsing (7bit/8bit parts; the stored original keeps them).
 */
export function withoutCrossDepthFlow(source: Buffer): Buffer {
  if (!latin1Test(source, /format\s*=\s*"?flowed/i)) return source;
  const text = latin1Of(source);
  const repaired = text.replace(/^(>[^\r\n]*?) +(?=\r?\n(?!>))/gm, '$1').replace(/^([^>\r\n-][^\r\n]*?) +(?=\r?\n>)/gm, '$1');
  return repaired === text ? source : Buffer.from(repaired, 'latin1');
}

/** mailparser with the options Parley reads mail with, after the repairs above; file attachments go to `sink` when given. */
export const parseMail = (source: Buffer, sink?: AttachmentSink): Promise<StreamedMail> =>
  readMime(withoutCrossDepthFlow(withoutBoundaryPadding(source)), PARSER_OPTIONS, sink);

/** A part that mailparser could not decode as text, recovered as a file. */
export interface RecoveredFile extends UuencodedFile {
  readonly mimeType: string;
}

export interface MailBody {
  /** The whole readable text (what a forward keeps). */
  readonly full: string;
  /** The same with HTML quote blocks left out (what quote stripping starts from). */
  readonly withoutHtmlQuotes: string;
  readonly files: readonly RecoveredFile[];
}

const HTML_BASE = {
  wordwrap: false as const,
  // As mailparser limits it: deeper elements are left out rather than overflow the stack.
  limits: { maxDepth: 1000 },
  selectors: [
    { selector: 'img', format: 'skip' },
    { selector: 'a', options: { ignoreHref: true } },
  ],
};
const HTML_QUOTES = [
  { selector: 'blockquote', format: 'skip' },
  { selector: 'div.gmail_quote', format: 'skip' },
  { selector: 'div#divRplyFwdMsg', format: 'skip' },
  { selector: 'div.yahoo_quoted', format: 'skip' },
  { selector: 'div#appendonsend', format: 'skip' },
];

// Compiled once: convert() compiles its options (selectors included) on every call.
const htmlText = compile(HTML_BASE);
const htmlTextWithoutQuotes = compile({ ...HTML_BASE, selectors: [...HTML_BASE.selectors, ...HTML_QUOTES] });

/**
 * HTML past this many characters is not converted: the message text is cut at MAX_TEXT_LENGTH
 * anyway, conversion costs per character (a 1 MB spam page took 0.1-0.4 s), and the stored
 * original keeps the whole mail.
 */
const HTML_LIMIT = 2 * MAX_TEXT_LENGTH;

/** What the HTML_QUOTES selectors can match: without it, leaving quotes out changes nothing. */
const QUOTE_MARKUP = /<blockquote|gmail_quote|divRplyFwdMsg|yahoo_quoted|appendonsend/i;

/**
 * A multipart body whose header lost its boundary (seen with broken multipart/related from
 * mailing software): mailparser then drops the body, or gives the raw MIME as text. The body
 * starts with "--boundary" and a part header, so the boundary can be read back from it.
 */
const RAW_MIME_TEXT = /^\s*--([^\s]{1,200})\r?\n(?:[\w-]+:[^\n]*\r?\n)*Content-(?:Type|Transfer-Encoding):/i;

function bodyOfBrokenMultipart(mail: ParsedMail, source: Buffer, text: string): string | undefined {
  if (RAW_MIME_TEXT.test(text)) return text;
  const contentType = mail.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  if (!contentType?.value?.startsWith('multipart/') || contentType.params?.boundary) return undefined;
  const raw = latin1Of(source);
  const separator = /\r?\n\r?\n/.exec(raw);
  return separator ? raw.slice(separator.index + separator[0].length) : undefined;
}

async function repairedMultipart(body: string | undefined): Promise<ParsedMail | undefined> {
  const boundary = body === undefined ? undefined : RAW_MIME_TEXT.exec(body)?.[1];
  if (!body || !boundary) return undefined;
  return parseMail(Buffer.from(`Content-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n${body.trimStart()}`, 'latin1'));
}

/**
 * The text of the messages a mail carries when it has none of its own: a multipart/digest
 * (RFC 2046 §5.1.5, only message/rfc822 parts), a mail that is itself a message/rfc822, or a
 * forward sent as an attachment without a word. Each one with its From and Subject.
 */
async function embeddedText(mail: ParsedMail, depth: number): Promise<string> {
  const texts: string[] = [];
  for (const part of mail.attachments.filter((a) => a.contentType === 'message/rfc822')) {
    const inner = await parseMail(part.content);
    const heading = [inner.from?.text && `From: ${inner.from.text}`, inner.subject && `Subject: ${inner.subject}`].filter(Boolean).join('\n');
    const body = (await readBody(inner, part.content, depth + 1)).full.trim();
    if (heading || body) texts.push([heading, body].filter(Boolean).join('\n\n'));
  }
  return texts.join('\n\n');
}

/**
 * A single-part 7bit/8bit text mail whose bytes are not the UTF-8 or ASCII it declares (or that
 * declares nothing): old Windows clients wrote windows-1252 and left the charset out or lost its
 * header line. Its text is then full of U+FFFD; the body bytes are read as windows-1252 instead.
 */
function windows1252Fallback(mail: ParsedMail, source: Buffer, text: string): string | undefined {
  if (!text.includes('\uFFFD')) return undefined;
  const contentType = mail.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  const charset = (contentType?.params?.charset ?? 'us-ascii').toLowerCase().replace(/[^a-z0-9]/g, '');
  const encoding = String(mail.headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  if ((contentType && contentType.value !== 'text/plain') || !['usascii', 'ascii', 'utf8'].includes(charset) || !['7bit', '8bit'].includes(encoding))
    return undefined;
  const separator = /\r?\n\r?\n/.exec(latin1Of(source));
  return separator ? iconv.decode(source.subarray(separator.index + separator[0].length), 'windows-1252') : undefined;
}

/** The body as readable text: the plain part, or the HTML part converted; legacy encodings and broken structure repaired. */
export async function readBody(mail: ParsedMail, source: Buffer, depth = 0): Promise<MailBody> {
  const utf7 = declaresUtf7(source);
  let text = mail.text ?? '';
  let html = typeof mail.html === 'string' ? mail.html : '';
  if (utf7) {
    text = decodeUtf7(text);
    html = decodeUtf7(html);
  }
  text = windows1252Fallback(mail, source, text) ?? text;
  const files: RecoveredFile[] = [];
  const repaired = await repairedMultipart(bodyOfBrokenMultipart(mail, source, text));
  if (repaired) {
    text = repaired.text ?? '';
    html = typeof repaired.html === 'string' ? repaired.html : '';
    for (const part of repaired.attachments) files.push({ fileName: part.filename ?? 'attachment', content: part.content, mimeType: part.contentType });
  }
  const inText = extractUuencoded(text);
  if (inText.files.length > 0) text = inText.rest;
  // Parts with Content-Transfer-Encoding: x-uuencode reach mailparser's attachments empty; their bytes are in the source.
  const uuFiles = inText.files.length > 0 ? inText.files : latin1Test(source, /x-uuencode/i) ? extractUuencoded(latin1Of(source)).files : [];
  for (const file of uuFiles) files.push({ ...file, mimeType: 'application/octet-stream' });

  // Nesting is bounded: a crafted mail could nest messages thousands deep.
  if (!text.trim() && !html.trim() && depth < 3) text = await embeddedText(mail, depth);
  if (text.trim()) return { full: text, withoutHtmlQuotes: text, files };
  if (!html.trim()) return { full: '', withoutHtmlQuotes: '', files };
  const markup = html.length > HTML_LIMIT ? html.slice(0, HTML_LIMIT) : html;
  const full = htmlText(markup);
  // A second conversion only when the markup has a quoted block to leave out.
  const withoutHtmlQuotes = QUOTE_MARKUP.test(markup) ? htmlTextWithoutQuotes(markup) : full;
  return { full, withoutHtmlQuotes, files };
}
