import { z } from 'zod';
import { parseDuration } from '../../src/core/duration.ts';
import { parsedBy, positiveInteger, setting } from '../../src/core/settings.ts';

const text = () => z.string().min(1);
const duration = () => parsedBy(parseDuration);

export const emailSettings = z.object({
  EMAIL_IMAP_URL: setting(text(), {
    description: 'Single mailbox: IMAP server with credentials (secret). imaps:// for TLS; ?starttls=required|off for imap://.',
    example: 'imaps://support%40example.com:secret@imap.example.com',
    secret: true,
  }),
  EMAIL_SMTP_URL: setting(text(), {
    description: 'Single mailbox: SMTP server with credentials (secret). smtps:// for TLS.',
    example: 'smtps://support%40example.com:secret@smtp.example.com',
    secret: true,
  }),
  EMAIL_ADDRESS: setting(text(), { description: 'Single mailbox: the support address customers write to (From of replies).', example: 'support@example.com' }),
  EMAIL_FROM_NAME: setting(text(), { description: 'Single mailbox: display name of replies.', example: 'Example Support' }),
  EMAIL_REPLY_TO: setting(text(), {
    description: 'Single mailbox: Reply-To of replies. Unset: replies come back to EMAIL_ADDRESS.',
    example: 'help@example.com',
  }),
  EMAIL_TEAM: setting(text(), { description: 'Single mailbox: team its conversations go to (created if missing). Default: the address.', example: 'support' }),
  EMAIL_IMAP_FOLDER: setting(text(), { description: 'Single mailbox: folder read for new mail.', default: 'INBOX', example: 'INBOX' }),
  EMAIL_MOVE_TO: setting(text(), { description: 'Single mailbox: folder stored mail is moved to. Unset: it stays and is flagged \\Seen.', example: 'Parley' }),
  EMAIL_DKIM_DOMAIN: setting(text(), {
    description: 'Single mailbox: DKIM-sign replies for this domain (with the two settings below).',
    example: 'example.com',
  }),
  EMAIL_DKIM_SELECTOR: setting(text(), { description: 'DKIM key selector.', example: 'parley' }),
  EMAIL_DKIM_PRIVATE_KEY: setting(text(), {
    description: 'DKIM private key: PEM text or a file path (secret).',
    example: '/etc/parley/dkim.pem',
    secret: true,
  }),
  EMAIL_MAILBOXES: setting(text(), {
    description:
      "Several mailboxes as a JSON array of {address, imapUrl, smtpUrl, team?, name?, fromName?, replyTo?, folder?, moveTo?, dkim?: {domainName, keySelector, privateKey}}; replaces the single-mailbox variables. Replies leave from the mailbox of the conversation's team.",
    example: '[{"address":"sales@example.com","team":"sales","imapUrl":"imaps://...","smtpUrl":"smtps://..."}]',
    secret: true,
  }),
  EMAIL_THREAD_WINDOW: setting(duration(), {
    description: 'A mail from the same sender with the same subject (Re:/Fwd:/AW:/پاسخ: stripped) within this time joins that conversation.',
    default: '7d',
    example: '3d',
  }),
  EMAIL_POLL_INTERVAL: setting(duration(), { description: 'Polling fallback and IDLE restart interval.', default: '60s', example: '5m' }),
  EMAIL_ATTACHMENT_DIR: setting(text(), {
    description: 'Where received mail (.eml) and attachments are stored. Unset: $PARLEY_DATA_DIR/attachments.',
    example: '/var/lib/parley/mail',
  }),
  EMAIL_ATTACHMENT_MAX_BYTES: setting(z.string().regex(/^\d+$/, 'must be a whole number of bytes').transform(Number), {
    description: 'Larger attachments are not stored separately (listed with the reason; the .eml keeps them).',
    default: '26214400',
    example: '10485760',
  }),
  EMAIL_AUTO_REPLY_LIMIT: setting(positiveInteger(), {
    description:
      'Loop guard: at most this many automatic (bot or system) mails to one address per EMAIL_AUTO_REPLY_WINDOW; more fail with the reason. Agent replies are not counted.',
    default: '5',
    example: '3',
  }),
  EMAIL_AUTO_REPLY_WINDOW: setting(duration(), { description: 'Window of the loop guard.', default: '1h', example: '1d' }),
  EMAIL_TOKEN_PREFIX: setting(
    z
      .string()
      .regex(/^[A-Za-z]{1,10}$/, 'must be 1-10 letters, e.g. PRL')
      .transform((p) => p.toUpperCase()),
    { description: 'Prefix of the conversation token in subjects, e.g. [#PRL-K7Q3M9XA].', default: 'PRL', example: 'ACME' },
  ),
});
export type EmailSettings = z.output<typeof emailSettings>;
