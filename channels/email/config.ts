import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { readSettings } from '../../src/core/settings.ts';
import { normalizeEmail } from '../../src/core/address.ts';
import { type EmailSettings, emailSettings } from './settings.ts';

/** One support address: where mail is read (IMAP) and sent (SMTP), and which team owns it. */
export interface MailboxConfig {
  readonly name: string;
  readonly team: string;
  /** The address customers write to; From of replies. */
  readonly address: string;
  readonly fromName: string | undefined;
  readonly replyTo: string | undefined;
  readonly imap: ServerConfig;
  readonly smtp: ServerConfig;
  /** IMAP folder read for new mail. */
  readonly folder: string;
  /** Folder stored mail is moved to; unset: it stays and is flagged \Seen. */
  readonly moveTo: string | undefined;
  readonly dkim: { readonly domainName: string; readonly keySelector: string; readonly privateKey: string } | undefined;
}

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  /** TLS from the first byte (imaps:, smtps:). */
  readonly secure: boolean;
  /** STARTTLS policy for a plain connection: required, off, or used when offered. */
  readonly starttls: 'required' | 'off' | 'auto';
  readonly user: string | undefined;
  readonly pass: string | undefined;
  /** user@host:port, for logs and health (never the password). */
  readonly display: string;
}

export interface EmailConfig {
  readonly mailboxes: readonly MailboxConfig[];
  readonly threadWindowMs: number;
  readonly pollIntervalMs: number;
  readonly attachmentDir: string | undefined;
  readonly attachmentMaxBytes: number;
  readonly tokenPrefix: string;
  /** Automatic (bot and system) mails one address may get per window: the mail loop guard. */
  readonly autoReplyLimit: { readonly max: number; readonly windowMs: number };
}

const DEFAULT_PORTS: Record<string, number> = { 'imap:': 143, 'imaps:': 993, 'smtp:': 587, 'smtps:': 465 };

/** imap(s)://user:pass@host:port?starttls=required|off, smtp(s)://... ; the error never repeats the password. */
export function parseServerUrl(value: string, kind: 'imap' | 'smtp', where: string): ServerConfig {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${where} is not a URL (expected ${kind}://user:password@host:port or ${kind}s://...)`);
  }
  if (url.protocol !== `${kind}:` && url.protocol !== `${kind}s:`) {
    throw new Error(`${where} must start with ${kind}:// or ${kind}s://, not ${url.protocol}//`);
  }
  if (!url.hostname) throw new Error(`${where} has no host`);
  const starttls = url.searchParams.get('starttls') ?? 'auto';
  if (starttls !== 'required' && starttls !== 'off' && starttls !== 'auto') throw new Error(`${where}: starttls must be required, off or auto`);
  const user = url.username ? decodeURIComponent(url.username) : undefined;
  const port = url.port ? Number(url.port) : (DEFAULT_PORTS[url.protocol] as number);
  return {
    host: url.hostname,
    port,
    secure: url.protocol.endsWith('s:'),
    starttls,
    user,
    pass: url.password ? decodeURIComponent(url.password) : undefined,
    display: `${user ? `${user}@` : ''}${url.hostname}:${port}`,
  };
}

const MailboxSchema = z.object({
  name: z.string().min(1).optional(),
  team: z.string().min(1).optional(),
  address: z.string().min(1),
  fromName: z.string().optional(),
  replyTo: z.string().optional(),
  imapUrl: z.string().min(1),
  smtpUrl: z.string().min(1),
  folder: z.string().min(1).default('INBOX'),
  moveTo: z.string().min(1).optional(),
  dkim: z.object({ domainName: z.string().min(1), keySelector: z.string().min(1), privateKey: z.string().min(1) }).optional(),
});

function mailbox(input: z.output<typeof MailboxSchema>, label: (field: string) => string): MailboxConfig {
  let address: string;
  try {
    address = normalizeEmail(input.address);
  } catch (error) {
    throw new Error(`${label('address')}: ${(error as Error).message}`, { cause: error });
  }
  const name = input.name ?? address;
  // A DKIM key may be given inline (PEM) or as a file path.
  const dkim = input.dkim && {
    ...input.dkim,
    privateKey: input.dkim.privateKey.includes('PRIVATE KEY') ? input.dkim.privateKey : readFileSync(input.dkim.privateKey, 'utf8'),
  };
  return {
    name,
    team: input.team ?? name,
    address,
    fromName: input.fromName,
    replyTo: input.replyTo,
    imap: parseServerUrl(input.imapUrl, 'imap', label('imapUrl')),
    smtp: parseServerUrl(input.smtpUrl, 'smtp', label('smtpUrl')),
    folder: input.folder,
    moveTo: input.moveTo,
    dkim,
  };
}

type Env = Readonly<Record<string, string | undefined>>;

/** The email configuration read from the environment (tests and tools); see emailConfig. */
export function loadEmailConfig(env: Env): EmailConfig | undefined {
  return emailConfig(readSettings(emailSettings, env));
}

/** The email configuration, undefined when no mailbox is configured; throws on a bad value. */
export function emailConfig(settings: EmailSettings): EmailConfig | undefined {
  const mailboxes: MailboxConfig[] = [];
  const json = settings.EMAIL_MAILBOXES;
  if (json) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (error) {
      throw new Error(`EMAIL_MAILBOXES is not JSON: ${(error as Error).message}`, { cause: error });
    }
    const list = z.array(MailboxSchema).min(1).safeParse(parsed);
    if (!list.success) {
      throw new Error(`EMAIL_MAILBOXES: ${list.error.issues.map((i) => `[${i.path.join('.')}] ${i.message}`).join('; ')}`);
    }
    list.data.forEach((m, i) => mailboxes.push(mailbox(m, (field) => `EMAIL_MAILBOXES[${i}].${field}`)));
  } else if (settings.EMAIL_IMAP_URL || settings.EMAIL_SMTP_URL) {
    const missing = (['EMAIL_IMAP_URL', 'EMAIL_SMTP_URL', 'EMAIL_ADDRESS'] as const).filter((n) => !settings[n]);
    if (missing.length > 0) throw new Error(`email: ${missing.join(' and ')} must be set too`);
    const single = MailboxSchema.parse({
      address: settings.EMAIL_ADDRESS,
      imapUrl: settings.EMAIL_IMAP_URL,
      smtpUrl: settings.EMAIL_SMTP_URL,
      team: settings.EMAIL_TEAM,
      fromName: settings.EMAIL_FROM_NAME,
      replyTo: settings.EMAIL_REPLY_TO,
      folder: settings.EMAIL_IMAP_FOLDER,
      moveTo: settings.EMAIL_MOVE_TO,
      dkim: settings.EMAIL_DKIM_DOMAIN
        ? { domainName: settings.EMAIL_DKIM_DOMAIN, keySelector: settings.EMAIL_DKIM_SELECTOR, privateKey: settings.EMAIL_DKIM_PRIVATE_KEY }
        : undefined,
    });
    const envName: Record<string, string> = { address: 'EMAIL_ADDRESS', imapUrl: 'EMAIL_IMAP_URL', smtpUrl: 'EMAIL_SMTP_URL' };
    mailboxes.push(mailbox(single, (field) => envName[field] ?? field));
  } else {
    return undefined;
  }
  const names = new Set<string>();
  for (const m of mailboxes) {
    if (names.has(m.name)) throw new Error(`email: two mailboxes are named "${m.name}"`);
    names.add(m.name);
  }
  return {
    mailboxes,
    threadWindowMs: settings.EMAIL_THREAD_WINDOW,
    pollIntervalMs: settings.EMAIL_POLL_INTERVAL,
    attachmentDir: settings.EMAIL_ATTACHMENT_DIR,
    attachmentMaxBytes: settings.EMAIL_ATTACHMENT_MAX_BYTES,
    tokenPrefix: settings.EMAIL_TOKEN_PREFIX,
    autoReplyLimit: { max: settings.EMAIL_AUTO_REPLY_LIMIT, windowMs: settings.EMAIL_AUTO_REPLY_WINDOW },
  };
}
