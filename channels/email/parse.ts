import { createHash } from 'node:crypto';
import type { AddressObject, AttachmentStream, Headers, ParsedMail } from 'mailparser';
import { type Attachment, type InboundMessage, MAX_TEXT_LENGTH } from '../../src/core/message.ts';
import { automatedReason } from './automated.ts';
import { readBounce } from './bounce.ts';
import { parseMail, readBody } from './body.ts';
import { decodeUtf7Header } from './legacy-encodings.ts';
import { visibleText } from './quotes.ts';
import { type MailFileStore, safeFileName } from './store.ts';
import { stripSubject, subjectKey, tokenOf } from './subject.ts';

export interface ParseContext {
  readonly channel: string;
  readonly mailbox: { readonly name: string; readonly team: string; readonly folder: string };
  /** Parley's own addresses (every mailbox): mail from them is never answered. */
  readonly ownAddresses: ReadonlySet<string>;
  readonly tokenPrefix: string;
  readonly threadWindowMs: number;
  readonly attachmentMaxBytes: number;
  readonly store: MailFileStore;
  /** Where the mail was found, kept in metadata. */
  readonly location?: { readonly uidValidity: string; readonly uid: number };
}

export type DecodedMail =
  | { readonly kind: 'message'; readonly message: InboundMessage }
  | {
      readonly kind: 'bounce';
      readonly messageId: string;
      readonly originalMessageIds: readonly string[];
      readonly reason: string;
      readonly format: string;
      readonly original: string;
    }
  | { readonly kind: 'delay'; readonly messageId: string; readonly originalMessageIds: readonly string[]; readonly format: string; readonly original: string }
  | { readonly kind: 'unusable'; readonly messageId: string; readonly reason: string; readonly original: string };

const idList = (value: string | string[] | undefined): string[] =>
  (value === undefined ? [] : Array.isArray(value) ? value : value.split(/\s+/)).filter(Boolean);

function firstAddress(value: AddressObject | AddressObject[] | undefined): { address: string; name: string } | undefined {
  const list = Array.isArray(value) ? value : value ? [value] : [];
  for (const group of list) for (const entry of group.value) if (entry.address) return { address: entry.address.toLowerCase(), name: entry.name };
  return undefined;
}

const allAddresses = (value: AddressObject | AddressObject[] | undefined): string[] =>
  (Array.isArray(value) ? value : value ? [value] : []).flatMap((g) => g.value.flatMap((e) => (e.address ? [e.address.toLowerCase()] : [])));

/**
 * The inbox refuses text over MAX_TEXT_LENGTH (and a refused mail would stop its mailbox's
 * import), so longer text is cut there, marked with "…"; the stored original keeps all of it.
 */
function withinTextLimit(text: string): string {
  if (text.length <= MAX_TEXT_LENGTH) return text;
  let end = MAX_TEXT_LENGTH - 1;
  if (/[\uD800-\uDBFF]/.test(text.charAt(end - 1))) end--;
  return `${text.slice(0, end)}…`;
}

/** An attachment's file name in the store: numbered, so two parts with one name never collide. */
const storedName = (fileName: string | undefined, index: number) => `${index + 1}-${safeFileName(fileName, `attachment-${index + 1}`)}`;

function attachmentKind(mimeType: string): Attachment['kind'] {
  if (mimeType.startsWith('image/')) return 'image';
  if (mimeType.startsWith('audio/')) return 'audio';
  if (mimeType.startsWith('video/')) return 'video';
  return 'document';
}

/** The subject, with UTF-7 encoded words (which mailparser leaves encoded) decoded. */
function subjectOf(mail: ParsedMail): string | undefined {
  const line = mail.headerLines.find((h) => h.key === 'subject')?.line;
  const utf7 = line === undefined ? undefined : decodeUtf7Header(line.slice(line.indexOf(':') + 1));
  return (utf7 ?? mail.subject)?.trim() || undefined;
}

/** One raw mail (RFC 5322 bytes) to what the core stores, a bounce, or why it cannot be used. */
export async function decodeMail(source: Buffer, context: ParseContext): Promise<DecodedMail> {
  // Mail without a Message-ID gets one derived from its bytes, so a re-import is still a duplicate.
  const idOf = (header: unknown) =>
    (typeof header === 'string' && header.trim()) || `<${createHash('sha256').update(source).digest('hex').slice(0, 40)}@parley.invalid>`;
  // File attachments stream to disk while the mail is parsed, under the mail's Message-ID (known from its headers by then).
  const streamed = (part: AttachmentStream, index: number, headers: Headers) =>
    context.store.streamAttachment(idOf(headers.get('message-id')), storedName(part.filename, index), part.content, context.attachmentMaxBytes);
  const mail = await parseMail(source, streamed);
  const messageId = idOf(mail.messageId);
  const original = await context.store.writeOriginal(messageId, source);
  const sender = firstAddress(mail.from);
  const notMessage = async <T>(result: T): Promise<T> => {
    // Bounces, delay warnings and unusable mail are never shown with their files: the .eml keeps them.
    if (mail.attachments.some((a) => a.stored)) await context.store.removeAttachments(messageId);
    return result;
  };
  if (!sender) return notMessage({ kind: 'unusable', messageId, reason: 'the mail has no From address', original });
  const bounce = readBounce(mail, sender.address, source);
  if (bounce?.outcome === 'failed')
    return notMessage({ kind: 'bounce', messageId, original, originalMessageIds: bounce.originalMessageIds, reason: bounce.reason, format: bounce.format });
  if (bounce?.outcome === 'delayed')
    return notMessage({ kind: 'delay', messageId, original, originalMessageIds: bounce.originalMessageIds, format: bounce.format });

  const body = await readBody(mail, source);

  const attachments: Attachment[] = [];
  // Parts mailparser gave empty (x-uuencode) are replaced by the files recovered from the body.
  const recoveredNames = new Set(body.files.map((f) => f.fileName));
  const overLimit = (size: number) => `not stored: ${size} bytes is over the ${context.attachmentMaxBytes}-byte limit (the original mail has it)`;
  for (const [index, part] of mail.attachments.entries()) {
    if (part.size === 0 && part.filename && recoveredNames.has(part.filename)) continue;
    const fileName = safeFileName(part.filename, `attachment-${index + 1}`);
    const base = { kind: attachmentKind(part.contentType), mimeType: part.contentType, fileName, size: part.stored?.size ?? part.size };
    if (base.size > context.attachmentMaxBytes) attachments.push({ ...base, caption: overLimit(base.size) });
    else if (part.stored?.url) attachments.push({ ...base, url: part.stored.url, sha256: part.stored.sha256 });
    else attachments.push({ ...base, ...(await context.store.writeAttachment(messageId, storedName(part.filename, index), part.content)) });
  }
  for (const [i, file] of body.files.entries()) {
    const index = mail.attachments.length + i;
    const base = {
      kind: attachmentKind(file.mimeType),
      mimeType: file.mimeType,
      fileName: safeFileName(file.fileName, `attachment-${index + 1}`),
      size: file.content.length,
    };
    if (base.size > context.attachmentMaxBytes) attachments.push({ ...base, caption: overLimit(base.size) });
    else attachments.push({ ...base, ...(await context.store.writeAttachment(messageId, storedName(file.fileName, index), file.content)) });
  }

  const rawSubject = subjectOf(mail);
  const text = visibleText(withinTextLimit(body.full), withinTextLimit(body.withoutHtmlQuotes), rawSubject);
  const inReplyTo = idList(mail.inReplyTo);
  const references = [...new Set([...inReplyTo, ...idList(mail.references).reverse()])];
  const automated = automatedReason(mail, sender.address, context.ownAddresses);
  const subject = rawSubject ? stripSubject(rawSubject, context.tokenPrefix) || undefined : undefined;
  return {
    kind: 'message',
    message: {
      channel: context.channel,
      externalId: messageId,
      sender: { address: sender.address, addressKind: 'email', displayName: sender.name || undefined },
      sentAt: mail.date && !Number.isNaN(mail.date.getTime()) ? mail.date.toISOString() : undefined,
      text,
      subject,
      attachments,
      replyTo: inReplyTo[0],
      thread: {
        references,
        token: tokenOf(rawSubject, context.tokenPrefix),
        subjectKey: subjectKey(rawSubject, context.tokenPrefix),
        windowMs: context.threadWindowMs,
      },
      automated: automated !== undefined,
      team: context.mailbox.team,
      metadata: {
        messageId,
        mailbox: context.mailbox.name,
        folder: context.mailbox.folder,
        subject: rawSubject,
        to: allAddresses(mail.to),
        cc: allAddresses(mail.cc),
        inReplyTo: inReplyTo[0],
        references: idList(mail.references),
        ...(automated ? { automatedReason: automated } : {}),
        ...(context.location ?? {}),
        original,
      },
      raw: { original, size: source.length },
    },
  };
}
