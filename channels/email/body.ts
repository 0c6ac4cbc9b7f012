import { convert } from 'html-to-text';
import { type ParsedMail, simpleParser } from 'mailparser';
import { declaresUtf7, decodeUtf7, extractUuencoded, type UuencodedFile } from './legacy-encodings.ts';

export const PARSER_OPTIONS = { skipTextToHtml: true, skipImageLinks: true, skipTextLinks: true } as const;

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

/**
 * A multipart body whose header lost its boundary (seen with broken multipart/related from
 * mailing software): mailparser then gives the raw MIME as text. It starts with "--boundary" and
 * a part header, so the boundary can be read back from the text.
 */
const RAW_MIME_TEXT = /^\s*--([^\s]{1,200})\r?\n(?:[\w-]+:[^\n]*\r?\n)*Content-(?:Type|Transfer-Encoding):/i;

async function repairedMultipart(text: string): Promise<ParsedMail | undefined> {
  const boundary = RAW_MIME_TEXT.exec(text)?.[1];
  if (!boundary) return undefined;
  return simpleParser(Buffer.from(`Content-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n${text.trimStart()}`), PARSER_OPTIONS);
}

/** A multipart/digest (RFC 2046 §5.1.5) has only message/rfc822 parts: its text is theirs, one after the other. */
async function digestText(mail: ParsedMail): Promise<string> {
  const texts: string[] = [];
  for (const part of mail.attachments.filter((a) => a.contentType === 'message/rfc822')) {
    const inner = await simpleParser(part.content, PARSER_OPTIONS);
    const heading = [inner.from?.text && `From: ${inner.from.text}`, inner.subject && `Subject: ${inner.subject}`].filter(Boolean).join('\n');
    const body = inner.text?.trim() || (inner.html ? convert(inner.html, HTML_BASE).trim() : '');
    if (heading || body) texts.push([heading, body].filter(Boolean).join('\n\n'));
  }
  return texts.join('\n\n---\n\n');
}

const isDigest = (mail: ParsedMail) => (mail.headers.get('content-type') as { value?: string } | undefined)?.value === 'multipart/digest';

/** The body as readable text: the plain part, or the HTML part converted; legacy encodings and broken structure repaired. */
export async function readBody(mail: ParsedMail, source: Buffer): Promise<MailBody> {
  const utf7 = declaresUtf7(source);
  let text = mail.text ?? '';
  let html = typeof mail.html === 'string' ? mail.html : '';
  if (utf7) {
    text = decodeUtf7(text);
    html = decodeUtf7(html);
  }
  const files: RecoveredFile[] = [];
  const repaired = await repairedMultipart(text);
  if (repaired) {
    text = repaired.text ?? '';
    html = typeof repaired.html === 'string' ? repaired.html : '';
    for (const part of repaired.attachments) files.push({ fileName: part.filename ?? 'attachment', content: part.content, mimeType: part.contentType });
  }
  const inText = extractUuencoded(text);
  if (inText.files.length > 0) text = inText.rest;
  // Parts with Content-Transfer-Encoding: x-uuencode reach mailparser's attachments empty; their bytes are in the source.
  const uuFiles =
    inText.files.length > 0 ? inText.files : /x-uuencode/i.test(source.toString('latin1')) ? extractUuencoded(source.toString('latin1')).files : [];
  for (const file of uuFiles) files.push({ ...file, mimeType: 'application/octet-stream' });

  if (!text.trim() && !html.trim() && isDigest(mail)) text = await digestText(mail);
  if (text.trim()) return { full: text, withoutHtmlQuotes: text, files };
  if (!html.trim()) return { full: '', withoutHtmlQuotes: '', files };
  return {
    full: convert(html, HTML_BASE),
    withoutHtmlQuotes: convert(html, { ...HTML_BASE, selectors: [...HTML_BASE.selectors, ...HTML_QUOTES] }),
    files,
  };
}
