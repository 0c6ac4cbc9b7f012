import { Readable } from 'node:stream';
import { type Attachment, type AttachmentStream, type Headers, MailParser, type MailParserOptions, type MessageText, type ParsedMail } from 'mailparser';
import type { StoredFile } from './store.ts';

/** Where a file attachment's bytes go while the mail is parsed; `index` numbers the mail's attachments from 0. */
export type AttachmentSink = (part: AttachmentStream, index: number, headers: Headers) => Promise<StoredFile>;

/** An attachment as Parley reads it: in memory (`content`), or streamed to disk (`stored`, `content` empty). */
export interface MailPart extends Attachment {
  stored?: StoredFile;
}

export interface StreamedMail extends ParsedMail {
  attachments: MailPart[];
}

/** Parts Parley reads as bytes (bounce reports, returned and forwarded mail): kept in memory, they are small. */
const READ_IN_MEMORY = /^(?:message\/|text\/rfc822-headers$)/i;

/** The source is fed in slices so the parser's backpressure reaches it: a 20 MB attachment never sits decoded in a buffer. */
const SLICE_BYTES = 64 * 1024;

function* slices(source: Buffer): Generator<Buffer> {
  for (let at = 0; at < source.length; at += SLICE_BYTES) yield source.subarray(at, at + SLICE_BYTES);
}

const HEADER_FIELDS = ['subject', 'references', 'date', 'to', 'from', 'cc', 'bcc', 'message-id', 'in-reply-to', 'reply-to'];

/**
 * mailparser's stream API, read the way simpleParser reads it but with file attachments handed
 * to `sink` as streams (without one they are buffered, as for a nested mail), and without
 * simpleParser's inlining of every cid: image into the HTML as base64 (Parley drops images).
 */
export function readMime(source: Buffer, options: MailParserOptions, sink?: AttachmentSink): Promise<StreamedMail> {
  return new Promise((resolve, reject) => {
    const parser = new MailParser(options);
    // A mail of one slice needs no stream in front of the parser.
    const input = source.length > SLICE_BYTES ? Readable.from(slices(source), { objectMode: false }) : undefined;
    const mail = { attachments: [] as MailPart[] } as StreamedMail;
    const stored: Promise<void>[] = [];
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      input?.unpipe(parser);
      reject(error);
    };
    parser.on('error', fail);
    parser.on('headers', (headers: Headers) => {
      mail.headers = headers;
      mail.headerLines = parser.headerLines || [];
    });
    parser.on('data', (data: MessageText | AttachmentStream) => {
      if (data.type === 'text') {
        for (const key of ['text', 'html', 'textAsHtml', 'textConversionError'] as const) if (key in data) Object.assign(mail, { [key]: data[key] });
        return;
      }
      const index = mail.attachments.length;
      const part = data as unknown as MailPart;
      mail.attachments.push(part);
      const content = data.content;
      if (sink && !READ_IN_MEMORY.test(data.contentType)) {
        stored.push(
          sink(data, index, mail.headers).then(
            (file) => {
              part.stored = file;
              part.content = Buffer.alloc(0);
              data.release?.();
            },
            (error: Error) => {
              data.release?.();
              fail(error);
            },
          ),
        );
        return;
      }
      const chunks: Buffer[] = [];
      content.on('data', (chunk: Buffer) => chunks.push(chunk));
      content.on('end', () => {
        part.content = Buffer.concat(chunks);
        data.release?.();
      });
    });
    parser.on('end', () => {
      for (const key of HEADER_FIELDS)
        if (mail.headers?.has(key)) Object.assign(mail, { [key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())]: mail.headers.get(key) });
      Promise.all(stored).then(() => {
        if (settled) return;
        settled = true;
        resolve(mail);
      }, fail);
    });
    if (input) input.pipe(parser);
    else parser.end(source);
  });
}
