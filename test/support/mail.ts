import iconv from 'iconv-lite';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type Mail from 'nodemailer/lib/mailer/index.js';

/** A raw mail (RFC 5322 bytes) as a mail client would send it, built by nodemailer's composer. */
export function composeRaw(options: Mail.Options & { headers?: Record<string, string> }): Promise<Buffer> {
  return new MailComposer({ date: new Date('2026-11-20T10:00:00Z'), ...options }).compile().build();
}

/** A Persian mail as older Windows clients send it: windows-1256 body, base64 encoded-word subject. */
export function windows1256Mail(options: { from: string; to: string; messageId: string; subject: string; body: string }): Buffer {
  const subject = `=?windows-1256?B?${iconv.encode(options.subject, 'windows-1256').toString('base64')}?=`;
  const body = iconv.encode(options.body.replace(/\n/g, '\r\n'), 'windows-1256');
  // Quoted-printable by hand: every non-ASCII byte as =XX.
  const qp = Array.from(body, (b) => (b >= 0x80 || b === 0x3d ? `=${b.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(b))).join('');
  const head = [
    `From: =?windows-1256?B?${iconv.encode('علي رضايي', 'windows-1256').toString('base64')}?= <${options.from}>`,
    `To: ${options.to}`,
    `Subject: ${subject}`,
    `Message-ID: ${options.messageId}`,
    'Date: Fri, 20 Nov 2026 10:00:00 +0330',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=windows-1256',
    'Content-Transfer-Encoding: quoted-printable',
  ];
  return Buffer.from(`${head.join('\r\n')}\r\n\r\n${qp}\r\n`, 'latin1');
}

/** A delivery status notification (RFC 3464) for a mail Parley sent. */
export function bounceMail(options: { to: string; originalMessageId: string; recipient: string }): string {
  const boundary = 'bounce-boundary';
  return [
    'From: Mail Delivery Subsystem <mailer-daemon@mx.example.net>',
    `To: ${options.to}`,
    'Subject: Undelivered Mail Returned to Sender',
    'Message-ID: <bounce-1@mx.example.net>',
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'Your message could not be delivered.',
    `--${boundary}`,
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example.net',
    '',
    `Final-Recipient: rfc822; ${options.recipient}`,
    'Action: failed',
    'Status: 5.1.1',
    `Diagnostic-Code: smtp; 550 5.1.1 <${options.recipient}>: Recipient address rejected: User unknown`,
    '',
    `--${boundary}`,
    'Content-Type: text/rfc822-headers',
    '',
    `From: support@example.com`,
    `To: ${options.recipient}`,
    `Message-ID: ${options.originalMessageId}`,
    'Subject: Re: Order',
    '',
    `--${boundary}--`,
    '',
  ].join('\r\n');
}
