import { fileURLToPath } from 'node:url';
import nodemailer, { type Transporter } from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer/index.js';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import { SendError } from '../../src/core/channel.ts';
import type { OutboundMessage } from '../../src/core/message.ts';
import { renderAsText } from '../../src/core/render.ts';
import type { MailboxConfig } from './config.ts';

export interface ComposedMail {
  readonly messageId: string;
  readonly options: Mail.Options;
}

export interface Threading {
  readonly subject: string;
  readonly inReplyTo: string | undefined;
  readonly references: readonly string[];
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** Right-to-left when the text's first strong letter is Hebrew, Arabic or Persian. */
const isRtl = (text: string) => /^[^\p{L}]*[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]/u.test(text);

/** Parley's message id as the mail's Message-ID: the same on every retry of one send. */
export function messageIdFor(parleyMessageId: string, address: string): string {
  return `<${parleyMessageId}@${address.split('@')[1] ?? 'parley.invalid'}>`;
}

/** The mail for one outbound message: plain text and HTML alternatives, threading headers, attachments. */
export function composeMail(message: OutboundMessage, mailbox: MailboxConfig, threading: Threading): ComposedMail {
  const text = renderAsText({ ...message.content, attachments: [] });
  const rtl = isRtl(text);
  // An agent's formatted reply brings its own HTML (links, bold, quotes); anything else is the text, escaped.
  const body = message.content.html ?? escapeHtml(text).replace(/\n/g, '<br>\n');
  const html = `<div dir="${rtl ? 'rtl' : 'ltr'}" style="white-space: pre-wrap">${body}</div>`;
  const messageId = messageIdFor(message.messageId, mailbox.address);
  const attachments: Mail.Attachment[] = message.content.attachments.map((a, i) => {
    if (!a.url) throw new SendError(`attachment ${i + 1} has no url`, { retryable: false, code: 'ATTACHMENT' });
    const path = a.url.startsWith('file:') ? fileURLToPath(a.url) : a.url;
    return { filename: a.fileName, path, contentType: a.mimeType };
  });
  const from = message.authorName ? `${message.authorName}${mailbox.fromName ? ` (${mailbox.fromName})` : ''}` : mailbox.fromName;
  return {
    messageId,
    options: {
      from: from ? { name: from, address: mailbox.address } : mailbox.address,
      replyTo: mailbox.replyTo,
      to: message.recipient,
      subject: threading.subject,
      messageId,
      inReplyTo: threading.inReplyTo,
      references: threading.references.length > 0 ? [...threading.references] : undefined,
      text,
      html,
      attachments,
      // RFC 3834: what the bot sends is marked, so well-behaved auto-responders stay silent.
      headers: message.authorName ? {} : { 'Auto-Submitted': message.replyTo ? 'auto-replied' : 'auto-generated' },
    },
  };
}

/** One pooled SMTP transport per mailbox. */
export function createTransport(mailbox: MailboxConfig): Transporter<SMTPPool.SentMessageInfo> {
  const { smtp } = mailbox;
  return nodemailer.createTransport({
    pool: true,
    maxConnections: 3,
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    requireTLS: smtp.starttls === 'required',
    ignoreTLS: smtp.starttls === 'off',
    auth: smtp.user ? { user: smtp.user, pass: smtp.pass ?? '' } : undefined,
    dkim: mailbox.dkim,
    logger: false,
  });
}

/** An SMTP failure as a SendError: 5xx replies are final with the server's words; the rest are retried. */
export function sendErrorOf(error: unknown): SendError {
  const e = error as { responseCode?: number; response?: string; code?: string; message?: string };
  const reason = e.response ?? e.message ?? String(error);
  if (e.responseCode && e.responseCode >= 500) return new SendError(reason, { retryable: false, code: `SMTP ${e.responseCode}`, cause: error });
  if (e.responseCode) return new SendError(reason, { retryable: true, code: `SMTP ${e.responseCode}`, cause: error });
  if (e.code === 'EAUTH') return new SendError(reason, { retryable: true, code: 'EAUTH', cause: error });
  return new SendError(reason, { retryable: true, code: e.code, cause: error });
}
