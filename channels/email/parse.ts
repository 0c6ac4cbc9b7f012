import { createHash } from 'node:crypto';
import EmailReplyParser from 'email-reply-parser';
import { convert } from 'html-to-text';
import { type AddressObject, type ParsedMail, simpleParser } from 'mailparser';
import type { Attachment, InboundMessage } from '../../src/core/message.ts';
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
  | { readonly kind: 'bounce'; readonly messageId: string; readonly originalMessageId: string | undefined; readonly reason: string }
  | { readonly kind: 'unusable'; readonly messageId: string; readonly reason: string; readonly original: string };

const replyParser = new EmailReplyParser();

// Quote headers the reply parser does not know: Persian ("... نوشت:") and Arabic ("... كتب:").
const RTL_QUOTE_HEADER = /^.{0,200}(?:نوشت|كتب|کتب)\s*[:：]\s*$/mu;
const FORWARDED = /^-{2,}\s*(?:Forwarded message|Original Message|پیام ارسال شده|پیام فوروارد شده|رسالة معاد توجيهها)\s*-{2,}/imu;
const FORWARD_SUBJECT = /^\s*(?:fw|fwd|wg|tr|enc|ارسال|فوروارد|توجيه)\s*:/iu;
const SYSTEM_SENDER = /^(?:mailer-daemon|postmaster)@/i;

/** Why a mail must never get an automatic reply, or undefined for a person's mail. */
export function automatedReason(mail: ParsedMail, from: string, ownAddresses: ReadonlySet<string>): string | undefined {
  // Raw header lines: mailparser folds List-* headers into one structured "list" header.
  const header = (name: string) => {
    const line = mail.headerLines.find((h) => h.key === name)?.line;
    return line === undefined
      ? undefined
      : line
          .slice(line.indexOf(':') + 1)
          .trim()
          .toLowerCase();
  };
  const autoSubmitted = header('auto-submitted');
  if (autoSubmitted && autoSubmitted !== 'no') return `Auto-Submitted: ${autoSubmitted}`;
  const precedence = header('precedence');
  if (precedence && /^(bulk|junk|list|auto_reply)$/.test(precedence)) return `Precedence: ${precedence}`;
  for (const name of ['x-autoreply', 'x-autorespond', 'x-autoresponder']) if (header(name) !== undefined) return name;
  if (header('list-id') !== undefined) return 'List-Id';
  if (header('list-unsubscribe') !== undefined) return 'List-Unsubscribe';
  if (SYSTEM_SENDER.test(from)) return `from ${from}`;
  if (ownAddresses.has(from)) return "from Parley's own address";
  return undefined;
}

/** The body as readable text: the plain part, or the HTML part converted (quotes in HTML left out). */
function bodyText(mail: ParsedMail): { full: string; withoutHtmlQuotes: string } {
  if (mail.text?.trim()) return { full: mail.text, withoutHtmlQuotes: mail.text };
  if (!mail.html) return { full: '', withoutHtmlQuotes: '' };
  const base = {
    wordwrap: false as const,
    selectors: [
      { selector: 'img', format: 'skip' },
      { selector: 'a', options: { ignoreHref: true } },
    ],
  };
  return {
    full: convert(mail.html, base),
    withoutHtmlQuotes: convert(mail.html, {
      ...base,
      selectors: [
        ...base.selectors,
        { selector: 'blockquote', format: 'skip' },
        { selector: 'div.gmail_quote', format: 'skip' },
        { selector: 'div#divRplyFwdMsg', format: 'skip' },
      ],
    }),
  };
}

/** What the customer wrote this time: quoted history and signature removed; a forward is kept whole. */
export function visibleText(full: string, withoutHtmlQuotes: string, subject: string | undefined): string {
  const normalized = full.replace(/\r\n/g, '\n');
  if (FORWARD_SUBJECT.test(subject ?? '') || FORWARDED.test(normalized)) return normalized.trim();
  let visible = replyParser.parseReply(withoutHtmlQuotes.replace(/\r\n/g, '\n'));
  const rtlHeader = RTL_QUOTE_HEADER.exec(visible);
  if (rtlHeader) visible = visible.slice(0, rtlHeader.index);
  visible = visible.trim();
  return visible || normalized.trim();
}

const idList = (value: string | string[] | undefined): string[] =>
  (value === undefined ? [] : Array.isArray(value) ? value : value.split(/\s+/)).filter(Boolean);

function firstAddress(value: AddressObject | AddressObject[] | undefined): { address: string; name: string } | undefined {
  const list = Array.isArray(value) ? value : value ? [value] : [];
  for (const group of list) for (const entry of group.value) if (entry.address) return { address: entry.address.toLowerCase(), name: entry.name };
  return undefined;
}

const allAddresses = (value: AddressObject | AddressObject[] | undefined): string[] =>
  (Array.isArray(value) ? value : value ? [value] : []).flatMap((g) => g.value.flatMap((e) => (e.address ? [e.address.toLowerCase()] : [])));

function attachmentKind(mimeType: string): Attachment['kind'] {
  if (mimeType.startsWith('image/')) return 'image';
  if (mimeType.startsWith('audio/')) return 'audio';
  if (mimeType.startsWith('video/')) return 'video';
  return 'document';
}

/** A delivery status notification (RFC 3464): the failed original's Message-ID and why. */
function bounceOf(mail: ParsedMail, from: string): { originalMessageId: string | undefined; reason: string } | undefined {
  const contentType = mail.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  const isReport = contentType?.value === 'multipart/report' && contentType.params?.['report-type']?.toLowerCase() === 'delivery-status';
  const status = mail.attachments.find((a) => a.contentType === 'message/delivery-status');
  if (!isReport && !(status && SYSTEM_SENDER.test(from))) return undefined;
  // mailparser shows a message/delivery-status part inline, as part of the text.
  const report = status?.content.toString('utf8') ?? mail.text ?? '';
  const action = /^Action:\s*(\S+)/im.exec(report)?.[1]?.toLowerCase();
  if (action && action !== 'failed') return undefined;
  const code = /^Status:\s*(\S+)/im.exec(report)?.[1];
  const diagnostic = /^Diagnostic-Code:\s*(?:[^;\n]*;\s*)?(.+(?:\n[ \t].+)*)/im.exec(report)?.[1]?.replace(/\s+/g, ' ').trim();
  const recipient = /^Final-Recipient:\s*(?:[^;\n]*;\s*)?(\S+)/im.exec(report)?.[1];
  const headers = mail.attachments.find((a) => a.contentType === 'message/rfc822' || a.contentType === 'text/rfc822-headers')?.content.toString('utf8') ?? '';
  const originalMessageId = /^Message-ID:\s*(<[^>\s]+>)/im.exec(headers)?.[1] ?? idList(mail.inReplyTo)[0];
  const reason = [`bounced${recipient ? ` for ${recipient}` : ''}`, code && `status ${code}`, diagnostic].filter(Boolean).join(': ');
  return { originalMessageId, reason: reason || 'bounced (no reason given)' };
}

/** One raw mail (RFC 5322 bytes) to what the core stores, a bounce, or why it cannot be used. */
export async function decodeMail(source: Buffer, context: ParseContext): Promise<DecodedMail> {
  const mail = await simpleParser(source, { skipTextToHtml: true, skipImageLinks: true, skipTextLinks: true });
  // Mail without a Message-ID gets one derived from its bytes, so a re-import is still a duplicate.
  const messageId = mail.messageId?.trim() || `<${createHash('sha256').update(source).digest('hex').slice(0, 40)}@parley.invalid>`;
  const original = await context.store.writeOriginal(messageId, source);
  const sender = firstAddress(mail.from);
  if (!sender) return { kind: 'unusable', messageId, reason: 'the mail has no From address', original };
  const bounce = bounceOf(mail, sender.address);
  if (bounce) return { kind: 'bounce', messageId, ...bounce };

  const attachments: Attachment[] = [];
  for (const [index, part] of mail.attachments.entries()) {
    const fileName = safeFileName(part.filename, `attachment-${index + 1}`);
    const base = { kind: attachmentKind(part.contentType), mimeType: part.contentType, fileName, size: part.size };
    if (part.size > context.attachmentMaxBytes) {
      attachments.push({ ...base, caption: `not stored: ${part.size} bytes is over the ${context.attachmentMaxBytes}-byte limit (the original mail has it)` });
      continue;
    }
    attachments.push({ ...base, url: await context.store.writeAttachment(messageId, `${index + 1}-${fileName}`, part.content) });
  }

  const rawSubject = mail.subject?.trim() || undefined;
  const { full, withoutHtmlQuotes } = bodyText(mail);
  const text = visibleText(full, withoutHtmlQuotes, rawSubject);
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
        ...(automated ? { automated: automated } : {}),
        ...(context.location ?? {}),
        original,
      },
      raw: { original, size: source.length },
    },
  };
}
