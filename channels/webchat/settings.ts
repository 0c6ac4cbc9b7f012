import { z } from 'zod';
import { parseDuration, parseRate } from '../../src/core/duration.ts';
import { commaList, flag, parsedBy, positiveInteger, readSettings, setting, type SettingsOf } from '../../src/core/settings.ts';

type Env = Readonly<Record<string, string | undefined>>;

const rate = () => parsedBy(parseRate);
const origins = () => commaList().pipe(z.array(z.url({ message: 'an origin such as https://www.example.com' }).transform((url) => new URL(url).origin)));

/** The WEBCHAT_* environment variables: docs, defaults and typed values in one schema (src/core/settings.ts). */
export const webchatSettings = z.object({
  WEBCHAT_ENABLED: setting(flag(), {
    description: 'The website chat needs no third-party credentials, so it is on by default; false turns it off.',
    default: 'true',
    example: 'false',
  }),
  WEBCHAT_ALLOWED_ORIGINS: setting(origins(), {
    description:
      'Site origins the widget may run on (comma-separated, checked on the WebSocket handshake and every request). Unset: any origin (fine for trying it; set it in production).',
    example: 'https://www.example.com,https://shop.example.com',
  }),
  WEBCHAT_SECRET: setting(z.string().min(16, 'at least 16 characters'), {
    description: 'Key that signs visitor tokens (secret). Unset: a random key is made once and kept in the database.',
    example: 'a-long-random-string',
    secret: true,
  }),
  WEBCHAT_IDENTITY_SECRET: setting(z.string().min(16, 'at least 16 characters'), {
    description:
      'Shared with your site\'s server: a logged-in user is passed as {userId, email?, phone?, name?} with hmac = hex HMAC-SHA256(secret, userId + "\\n" + email + "\\n" + phone). Verified users join their customer record.',
    example: 'another-long-random-string',
    secret: true,
  }),
  WEBCHAT_IDENTITY_ENFORCE: setting(flag(), {
    description:
      'true: an identity without a valid hmac is refused (the widget stays closed with the reason) instead of being treated as an anonymous visitor.',
    default: 'false',
    example: 'true',
  }),
  WEBCHAT_TEAM: setting(z.string().min(1), {
    description: 'Team new website conversations go to (created if missing). Unset: the routing default.',
    example: 'support',
  }),
  WEBCHAT_SESSION_RATE: setting(rate(), { description: 'New visitor sessions allowed per IP address.', default: '20/10m', example: '5/m' }),
  WEBCHAT_MESSAGE_RATE: setting(rate(), { description: 'Messages allowed per visitor.', default: '30/m', example: '10/m' }),
  WEBCHAT_IP_MESSAGE_RATE: setting(rate(), { description: 'Messages allowed per IP address (all its visitors together).', default: '120/m', example: '60/m' }),
  WEBCHAT_MAX_TEXT: setting(positiveInteger(), { description: 'Longest message a visitor may send, in characters.', default: '4000', example: '2000' }),
  WEBCHAT_MAX_FILE_BYTES: setting(positiveInteger(), { description: 'Largest file a visitor may upload.', default: '10485760', example: '5242880' }),
  WEBCHAT_FILE_TYPES: setting(commaList(), {
    description: 'Media types a visitor may upload (comma-separated; type/* for a whole family).',
    default: 'image/*,application/pdf',
    example: 'image/png,image/jpeg',
  }),
  WEBCHAT_KEEP_MESSAGES: setting(positiveInteger(), {
    description: 'Messages kept per visitor for reloads, other tabs and reconnects.',
    default: '200',
    example: '500',
  }),
  WEBCHAT_EMAIL_AFTER: setting(parsedBy(parseDuration), {
    description:
      "An agent's reply that no page of the visitor showed within this time goes to the email they gave (pre-chat form or verified identity), through the email channel, with the conversation's token in the subject. Needs the email channel on.",
    default: '2m',
    example: '10m',
  }),
  PARLEY_WEBCHAT_DEMO: setting(flag(), {
    description: 'true: a sample page with the widget at /webchat/demo. Default: on only when NODE_ENV=development.',
    example: 'true',
  }),
});

export type WebchatEnv = SettingsOf<typeof webchatSettings>;

export interface WebchatSettings {
  readonly allowedOrigins: readonly string[];
  readonly secret: string | undefined;
  readonly identitySecret: string | undefined;
  readonly enforceIdentity: boolean;
  readonly team: string | undefined;
  readonly sessionRate: { count: number; perMs: number };
  readonly messageRate: { count: number; perMs: number };
  readonly ipMessageRate: { count: number; perMs: number };
  readonly maxText: number;
  readonly maxFileBytes: number;
  readonly fileTypes: readonly string[];
  readonly keepMessages: number;
  /** How long an agent's reply may stay unseen before it is emailed (email continuity). */
  readonly emailAfterMs: number;
  readonly demo: boolean;
  /** The routing file, read for the teams' business hours (out-of-hours notice). */
  readonly routingConfig: string | undefined;
}

/** The adapter's settings from the parsed variables (and NODE_ENV, PARLEY_ROUTING_CONFIG of the environment); throws when they contradict each other. */
export function toWebchatSettings(e: WebchatEnv, env: Env): WebchatSettings {
  if (e.WEBCHAT_IDENTITY_ENFORCE && !e.WEBCHAT_IDENTITY_SECRET) throw new Error('WEBCHAT_IDENTITY_ENFORCE=true needs WEBCHAT_IDENTITY_SECRET');
  return {
    allowedOrigins: e.WEBCHAT_ALLOWED_ORIGINS ?? [],
    secret: e.WEBCHAT_SECRET,
    identitySecret: e.WEBCHAT_IDENTITY_SECRET,
    enforceIdentity: e.WEBCHAT_IDENTITY_ENFORCE,
    team: e.WEBCHAT_TEAM,
    sessionRate: e.WEBCHAT_SESSION_RATE,
    messageRate: e.WEBCHAT_MESSAGE_RATE,
    ipMessageRate: e.WEBCHAT_IP_MESSAGE_RATE,
    maxText: e.WEBCHAT_MAX_TEXT,
    maxFileBytes: e.WEBCHAT_MAX_FILE_BYTES,
    fileTypes: e.WEBCHAT_FILE_TYPES,
    keepMessages: e.WEBCHAT_KEEP_MESSAGES,
    emailAfterMs: e.WEBCHAT_EMAIL_AFTER,
    demo: e.PARLEY_WEBCHAT_DEMO ?? env.NODE_ENV === 'development',
    routingConfig: env.PARLEY_ROUTING_CONFIG || undefined,
  };
}

/** Reads and checks the settings from the environment, or throws naming every variable that is wrong. */
export function readWebchatSettings(env: Env): WebchatSettings {
  return toWebchatSettings(readSettings(webchatSettings, env), env);
}

/** Whether a media type is one of the allowed patterns (type/subtype or type/*). */
export function fileTypeAllowed(patterns: readonly string[], mimeType: string): boolean {
  const type = mimeType.toLowerCase().split(';')[0]?.trim() ?? '';
  return patterns.some((p) => (p.endsWith('/*') ? type.startsWith(p.slice(0, -1).toLowerCase()) : type === p.toLowerCase()));
}
