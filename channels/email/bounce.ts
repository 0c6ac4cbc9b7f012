import type { ParsedMail } from 'mailparser';

/**
 * What a non-delivery report says about an outbound mail. `failed`: the original is marked failed
 * with `reason`; `delayed`: a warning that the server is still trying (nothing to change).
 */
export type BounceReport =
  | { readonly outcome: 'failed'; readonly originalMessageIds: readonly string[]; readonly reason: string; readonly format: string }
  | { readonly outcome: 'delayed'; readonly originalMessageIds: readonly string[]; readonly format: string };

/** Senders that only ever send reports (RFC 5321 §4.5.1 names postmaster; MAILER-DAEMON is the common sender of bounces). */
export const SYSTEM_SENDER = /^(?:mailer-daemon|mailerdaemon|mail-daemon|postmaster|mail\.delivery\.subsystem)@/i;

/**
 * Vendor formats of plain-text bounces (no RFC 3464 report part): how each one starts its
 * report. The first that matches names the format; the reason comes from the shared rules below.
 */
const VENDOR_FORMATS: readonly { readonly name: string; readonly signature: RegExp; readonly reason?: RegExp }[] = [
  { name: 'qmail', signature: /This is the qmail-send program|I'm afraid I wasn't able to deliver your message/i, reason: /^<[^>\s]+>:\s*\n(.+)/m },
  { name: 'exim', signature: /This message was created automatically by mail delivery software/i },
  {
    name: 'gmail',
    signature: /Delivery to the following recipients? failed permanently|Technical details of permanent failure/i,
    reason: /Technical details of permanent failure:\s*\n(.+)/i,
  },
  { name: 'office365', signature: /Delivery has failed to these recipients or groups|Your message (?:couldn't|could not) be delivered/i },
  { name: 'domino', signature: /Your message\s*\n+\s*Subject:.*\n+\s*was not delivered to:/i, reason: /\nbecause:\s*\n+\s*(.+)/i },
  {
    name: 'exchange',
    signature: /did not reach some or all of the intended recipients|did not reach the following recipient|Your message\s*\n\s*(?:To|Subject):/i,
    reason: /did not reach the following recipient\(s\):\s*\n+\s*\S.*\n\s+(.+)/i,
  },
  { name: 'yahoo', signature: /Sorry, we were unable to deliver your message to the following address/i },
  { name: 'opensmtpd', signature: /This is the MAILER-DAEMON, please DO NOT REPLY/i },
  { name: 'notes', signature: /-{3,}\s*Failure Reasons\s*-{3,}/i },
  { name: 'mail.ru', signature: /Это письмо создано автоматически сервером Mail\.Ru/ },
  { name: 'postfix', signature: /This is the mail system at host|I'm sorry to have to inform you that your message could not/i },
  { name: 'sendmail', signature: /The original message was received at .*\n.*from|-{5} Transcript of session follows -{5}/i },
  { name: 'mcafee', signature: /--- The following addresses had delivery problems ---/i },
  { name: 'courier', signature: /This is a delivery status notification from/i },
  { name: 'zoho', signature: /A message that you sent has not yet been delivered|Your message .* could not be delivered/i },
];

/** Subjects of bounces and of delay warnings, from the mail servers above and their translations. */
const BOUNCE_SUBJECT =
  /^(?:Undeliver(?:able|ed)|Undelivered Mail Returned|Mail delivery failed|Delivery Status Notification|Delivery Notification|Delivery Failure|DELIVERY FAILURE|failure notice|Failure Notice|Returned mail|Mail System Error|Non[- ]?delivery|Nondeliverable|Message delivery has failed|Permanent Delivery Failure|Delivery status notification|Warning: could not send message|Warning: message .* delayed|Delayed Mail|Mail could not be delivered|Message not delivered|Unzustellbar|Non remis|No se puede entregar|Не доставлено|Недоставленное сообщение|Почтовая система)/i;
const DELAY_SUBJECT = /delay|warning|still being retried|THIS IS A WARNING MESSAGE ONLY/i;
const DELAY_BODY =
  /THIS IS A WARNING MESSAGE ONLY|is (?:being )?delayed|has been delayed|not yet been delivered|will (?:continue to )?(?:retry|try)|no action is required on your part|only a notification about a delay|A message is delayed/i;

/** A line that carries an SMTP reply (RFC 5321 §4.2) or an enhanced status code (RFC 3463). */
const SMTP_REPLY_LINE = /(?:^|\s|[(:])(?:[245]\d\d[ -](?:#?[245]\.\d{1,3}\.\d{1,3}\b)?|#?[45]\.\d{1,3}\.\d{1,3}\b).*$/m;
/** Phrases mail servers use when no code is given. */
const REASON_PHRASE =
  /^.*(?:user unknown|unknown user|no such (?:user|mailbox|address)|does not exist|doesn't exist|not found|mailbox (?:is )?(?:full|unavailable)|quota|rejected|not listed|relay|denied|unrouteable|host not found|invalid (?:recipient|address)|not delivered|could not be delivered|disabled|blocked|spam|too large|timed? ?out|connection refused|Unrouteable|エラー|ありません|не существует|не найден).*$/im;

const normalize = (line: string) => line.replace(/\s+/g, ' ').trim();
const headerOf = (mail: ParsedMail, name: string): string => {
  const line = mail.headerLines.find((h) => h.key === name)?.line ?? '';
  return line.slice(line.indexOf(':') + 1).trim();
};
const contentTypeOf = (mail: ParsedMail) => mail.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;

/** The report parts of an RFC 3464 DSN; mailparser keeps message/delivery-status as an attachment or shows it inline. */
function deliveryStatusOf(mail: ParsedMail): string | undefined {
  const part = mail.attachments.find((a) => a.contentType === 'message/delivery-status' || a.contentType === 'message/global-delivery-status');
  if (part) return part.content.toString('utf8');
  if (contentTypeOf(mail)?.params?.['report-type']?.toLowerCase() === 'delivery-status' && /^Action:/im.test(mail.text ?? '')) return mail.text;
  return undefined;
}

/** Message-IDs of the returned mail, most certain first: the returned headers, then the body, then In-Reply-To/References. */
function originalIdsOf(mail: ParsedMail, source: Buffer): string[] {
  const own = mail.messageId?.toLowerCase();
  const ids: string[] = [];
  const add = (id: string | undefined) => {
    if (id && id.toLowerCase() !== own && !ids.includes(id)) ids.push(id);
  };
  const scan = (text: string) => {
    for (const match of text.matchAll(/^[ \t>]*Message-I[Dd]\s*:\s*(<[^>\s]+>)/gm)) add(match[1]);
  };
  for (const part of mail.attachments)
    if (/^(?:message\/(?:rfc822|global)|text\/rfc822-headers|message\/global-headers)$/.test(part.contentType)) scan(part.content.toString('utf8'));
  scan(mail.text ?? '');
  // Some servers quote the original only in a part mailparser does not decode as text.
  const bodyStart = source.indexOf('\r\n\r\n') >= 0 ? source.indexOf('\r\n\r\n') : source.indexOf('\n\n');
  if (bodyStart >= 0) scan(source.subarray(bodyStart).toString('latin1'));
  const refs = (value: string | string[] | undefined) => (Array.isArray(value) ? value : (value?.split(/\s+/) ?? [])).filter(Boolean);
  for (const id of refs(mail.inReplyTo)) add(id);
  for (const id of refs(mail.references).reverse()) add(id);
  return ids;
}

/**
 * The reason a plain-text bounce gives: the first SMTP reply line, else where the vendor's format
 * puts it, else the first line with a known phrase, else the report's first line.
 */
function plainReasonOf(text: string, vendorReason?: RegExp): string | undefined {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  // The returned original starts at its own headers; its text must not be taken for the reason.
  const end = lines.findIndex((l) => /^\s*(?:Received|Return-Path|Message-I[Dd]|-+\s*(?:Original message|Below this line is a copy|This is a copy))/i.test(l));
  const report = (end >= 0 ? lines.slice(0, end) : lines).join('\n');
  const smtp = SMTP_REPLY_LINE.exec(report)?.[0];
  if (smtp && normalize(smtp).length > 6) return normalize(smtp);
  const vendor = vendorReason?.exec(report)?.[1];
  if (vendor?.trim()) return normalize(vendor);
  const phrase = REASON_PHRASE.exec(report)?.[0] ?? lines.find((l) => l.trim());
  return phrase ? normalize(phrase).slice(0, 300) : undefined;
}

/** The first failed recipient an RFC 3464 report names, and why. */
function dsnReasonOf(report: string): { action: string | undefined; reason: string } {
  // Per-recipient blocks follow the per-message block; the first failed one is the reason.
  const blocks = report.replace(/\r\n/g, '\n').split(/\n\s*\n/);
  const recipientBlocks = blocks.filter((b) => /^(?:Final|Original)-Recipient:/im.test(b) || /^Action:/im.test(b));
  const failed = recipientBlocks.find((b) => /^Action:\s*failed/im.test(b));
  const block = failed ?? recipientBlocks[0] ?? report;
  const action = /^Action:\s*([\w-]+)/im.exec(block)?.[1]?.toLowerCase();
  const code = /^Status:\s*(\S+)/im.exec(block)?.[1];
  const diagnostic = /^Diagnostic-Code:\s*(?:[^;\n]*;\s*)?(.+(?:\n[ \t].+)*)/im.exec(block)?.[1];
  const recipient = /^Final-Recipient:\s*(?:[^;\n]*;\s*)?(\S+)/im.exec(block)?.[1];
  const reason = [`bounced${recipient ? ` for ${recipient}` : ''}`, code && `status ${code}`, diagnostic && normalize(diagnostic)].filter(Boolean).join(': ');
  return { action: failed ? 'failed' : action, reason };
}

/**
 * Reads a mail as a non-delivery report: an RFC 3464 DSN, or one of the vendor plain-text formats
 * sent by a system sender (MAILER-DAEMON, postmaster) or under a bounce subject. Undefined when
 * the mail is not a bounce.
 */
export function readBounce(mail: ParsedMail, from: string, source: Buffer): BounceReport | undefined {
  const subject = mail.subject ?? '';
  const text = mail.text ?? '';
  const dsn = deliveryStatusOf(mail);
  if (dsn) {
    const { action, reason } = dsnReasonOf(dsn);
    const originalMessageIds = originalIdsOf(mail, source);
    if (action && action !== 'failed') return { outcome: 'delayed', originalMessageIds, format: 'rfc3464' };
    const plain = reason.includes(':') ? reason : [reason, plainReasonOf(text)].filter(Boolean).join(': ');
    return { outcome: 'failed', originalMessageIds, reason: plain, format: 'rfc3464' };
  }
  const fromSystem = SYSTEM_SENDER.test(from) || /^Mail Delivery (?:System|Subsystem)$/i.test(mail.from?.value[0]?.name ?? '');
  // A person's mail under an ordinary subject is never scanned for vendor texts (the scan costs per byte).
  if (!fromSystem && !BOUNCE_SUBJECT.test(subject)) return undefined;
  const vendor = VENDOR_FORMATS.find((f) => f.signature.test(text));
  if (!fromSystem && !vendor) return undefined;
  const originalMessageIds = originalIdsOf(mail, source);
  const format = vendor?.name ?? 'plain';
  if (DELAY_BODY.test(text) || (DELAY_SUBJECT.test(subject) && !/fail/i.test(subject))) return { outcome: 'delayed', originalMessageIds, format };
  const autoSubmitted = headerOf(mail, 'auto-submitted').toLowerCase();
  if (autoSubmitted.includes('warning')) return { outcome: 'delayed', originalMessageIds, format };
  // A system sender that sends neither a report nor a known bounce text (e.g. a postmaster's own note) is not a bounce.
  if (!vendor && !BOUNCE_SUBJECT.test(subject)) return undefined;
  const reason = plainReasonOf(text, vendor?.reason);
  return { outcome: 'failed', originalMessageIds, reason: `bounced (${format})${reason ? `: ${reason}` : ''}`, format };
}
