import type { ChannelDefinition } from '../../src/core/channel.ts';
import { EmailAdapter, emailCapabilities } from './adapter.ts';
import { loadEmailConfig } from './config.ts';

export const emailChannel: ChannelDefinition = {
  name: 'email',
  description: 'Email over IMAP (in) and SMTP (out), one or more support mailboxes, each tied to a team.',
  capabilities: emailCapabilities,
  settings: [
    {
      env: 'EMAIL_IMAP_URL',
      description: 'Single mailbox: IMAP server with credentials (secret). imaps:// for TLS; ?starttls=required|off for imap://.',
      example: 'imaps://support%40example.com:secret@imap.example.com',
    },
    {
      env: 'EMAIL_SMTP_URL',
      description: 'Single mailbox: SMTP server with credentials (secret). smtps:// for TLS.',
      example: 'smtps://support%40example.com:secret@smtp.example.com',
    },
    { env: 'EMAIL_ADDRESS', description: 'Single mailbox: the support address customers write to (From of replies).', example: 'support@example.com' },
    { env: 'EMAIL_FROM_NAME', description: 'Single mailbox: display name of replies.', example: 'Example Support' },
    { env: 'EMAIL_REPLY_TO', description: 'Single mailbox: Reply-To of replies. Unset: replies come back to EMAIL_ADDRESS.', example: 'help@example.com' },
    { env: 'EMAIL_TEAM', description: 'Single mailbox: team its conversations go to (created if missing). Default: the address.', example: 'support' },
    { env: 'EMAIL_IMAP_FOLDER', description: 'Single mailbox: folder read for new mail.', default: 'INBOX', example: 'INBOX' },
    { env: 'EMAIL_MOVE_TO', description: 'Single mailbox: folder stored mail is moved to. Unset: it stays and is flagged \\Seen.', example: 'Parley' },
    { env: 'EMAIL_DKIM_DOMAIN', description: 'Single mailbox: DKIM-sign replies for this domain (with the two settings below).', example: 'example.com' },
    { env: 'EMAIL_DKIM_SELECTOR', description: 'DKIM key selector.', example: 'parley' },
    { env: 'EMAIL_DKIM_PRIVATE_KEY', description: 'DKIM private key: PEM text or a file path (secret).', example: '/etc/parley/dkim.pem' },
    {
      env: 'EMAIL_MAILBOXES',
      description:
        "Several mailboxes as a JSON array of {address, imapUrl, smtpUrl, team?, name?, fromName?, replyTo?, folder?, moveTo?, dkim?: {domainName, keySelector, privateKey}}; replaces the single-mailbox variables. Replies leave from the mailbox of the conversation's team.",
      example: '[{"address":"sales@example.com","team":"sales","imapUrl":"imaps://...","smtpUrl":"smtps://..."}]',
    },
    {
      env: 'EMAIL_THREAD_WINDOW',
      description: 'A mail from the same sender with the same subject (Re:/Fwd:/AW:/پاسخ: stripped) within this time joins that conversation.',
      default: '7d',
      example: '3d',
    },
    { env: 'EMAIL_POLL_INTERVAL', description: 'Polling fallback and IDLE restart interval.', default: '60s', example: '5m' },
    {
      env: 'EMAIL_ATTACHMENT_DIR',
      description: 'Where received mail (.eml) and attachments are stored.',
      default: '$PARLEY_DATA_DIR/attachments',
      example: '/var/lib/parley/mail',
    },
    {
      env: 'EMAIL_ATTACHMENT_MAX_BYTES',
      description: 'Larger attachments are not stored separately (listed with the reason; the .eml keeps them).',
      default: '26214400',
      example: '10485760',
    },
    {
      env: 'EMAIL_AUTO_REPLY_LIMIT',
      description:
        'Loop guard: at most this many automatic (bot or system) mails to one address per EMAIL_AUTO_REPLY_WINDOW; more fail with the reason. Agent replies are not counted.',
      default: '5',
      example: '3',
    },
    { env: 'EMAIL_AUTO_REPLY_WINDOW', description: 'Window of the loop guard.', default: '1h', example: '1d' },
    { env: 'EMAIL_TOKEN_PREFIX', description: 'Prefix of the conversation token in subjects, e.g. [#PRL-K7Q3M9XA].', default: 'PRL', example: 'ACME' },
  ],
  create(env) {
    let config: ReturnType<typeof loadEmailConfig>;
    try {
      config = loadEmailConfig(env);
    } catch (error) {
      return { off: `configuration is not valid: ${(error as Error).message}` };
    }
    if (!config) return { off: 'set EMAIL_IMAP_URL, EMAIL_SMTP_URL and EMAIL_ADDRESS (one mailbox) or EMAIL_MAILBOXES (several) to turn it on' };
    return new EmailAdapter(config);
  },
};
