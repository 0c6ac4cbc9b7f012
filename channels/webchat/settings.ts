import { z } from 'zod';
import type { ChannelSetting } from '../../src/core/channel.ts';
import { parseRate } from '../../src/core/duration.ts';

export const webchatSettingList: readonly ChannelSetting[] = [
  {
    env: 'WEBCHAT_ENABLED',
    description: 'The website chat needs no third-party credentials, so it is on by default; false turns it off.',
    default: 'true',
    example: 'false',
  },
  {
    env: 'WEBCHAT_ALLOWED_ORIGINS',
    description:
      'Site origins the widget may run on (comma-separated, checked on the WebSocket handshake and every request). Unset: any origin (fine for trying it; set it in production).',
    example: 'https://www.example.com,https://shop.example.com',
  },
  {
    env: 'WEBCHAT_SECRET',
    description: 'Key that signs visitor tokens (secret). Unset: a random key is made once and kept in the database.',
    example: 'a-long-random-string',
  },
  {
    env: 'WEBCHAT_IDENTITY_SECRET',
    description:
      'Shared with your site\'s server: a logged-in user is passed as {userId, email?, phone?, name?} with hmac = hex HMAC-SHA256(secret, userId + "\\n" + email + "\\n" + phone). Verified users join their customer record.',
    example: 'another-long-random-string',
  },
  {
    env: 'WEBCHAT_IDENTITY_ENFORCE',
    description:
      'true: an identity without a valid hmac is refused (the widget stays closed with the reason) instead of being treated as an anonymous visitor.',
    default: 'false',
    example: 'true',
  },
  { env: 'WEBCHAT_TEAM', description: 'Team new website conversations go to (created if missing). Unset: the routing default.', example: 'support' },
  { env: 'WEBCHAT_SESSION_RATE', description: 'New visitor sessions allowed per IP address.', default: '20/10m', example: '5/m' },
  { env: 'WEBCHAT_MESSAGE_RATE', description: 'Messages allowed per visitor.', default: '30/m', example: '10/m' },
  { env: 'WEBCHAT_IP_MESSAGE_RATE', description: 'Messages allowed per IP address (all its visitors together).', default: '120/m', example: '60/m' },
  { env: 'WEBCHAT_MAX_TEXT', description: 'Longest message a visitor may send, in characters.', default: '4000', example: '2000' },
  { env: 'WEBCHAT_MAX_FILE_BYTES', description: 'Largest file a visitor may upload.', default: '10485760', example: '5242880' },
  {
    env: 'WEBCHAT_FILE_TYPES',
    description: 'Media types a visitor may upload (comma-separated; type/* for a whole family).',
    default: 'image/*,application/pdf',
    example: 'image/png,image/jpeg',
  },
  { env: 'WEBCHAT_KEEP_MESSAGES', description: 'Messages kept per visitor for reloads, other tabs and reconnects.', default: '200', example: '500' },
  {
    env: 'PARLEY_WEBCHAT_DEMO',
    description: 'true: a sample page with the widget at /webchat/demo. Default: on only when NODE_ENV=development.',
    example: 'true',
  },
];

const rate = (name: string, fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      try {
        return parseRate(text);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `${name}: ${(error as Error).message}` });
        return z.NEVER;
      }
    });
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const splitList = z.string().transform((text) =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
);
const list = z.string().default('').pipe(splitList);
const flag = z.enum(['true', 'false', '']).optional();

/** The WEBCHAT_* environment variables, checked in one place. */
export const WebchatEnvSchema = z.object({
  WEBCHAT_ENABLED: flag,
  WEBCHAT_ALLOWED_ORIGINS: list.pipe(z.array(z.url({ message: 'an origin such as https://www.example.com' }))),
  WEBCHAT_SECRET: z.string().min(16, 'at least 16 characters').optional(),
  WEBCHAT_IDENTITY_SECRET: z.string().min(16, 'at least 16 characters').optional(),
  WEBCHAT_IDENTITY_ENFORCE: flag,
  WEBCHAT_TEAM: z.string().min(1).optional(),
  WEBCHAT_SESSION_RATE: rate('WEBCHAT_SESSION_RATE', '20/10m'),
  WEBCHAT_MESSAGE_RATE: rate('WEBCHAT_MESSAGE_RATE', '30/m'),
  WEBCHAT_IP_MESSAGE_RATE: rate('WEBCHAT_IP_MESSAGE_RATE', '120/m'),
  WEBCHAT_MAX_TEXT: positiveInt(4000),
  WEBCHAT_MAX_FILE_BYTES: positiveInt(10 * 1024 * 1024),
  WEBCHAT_FILE_TYPES: z.string().default('image/*,application/pdf').pipe(splitList),
  WEBCHAT_KEEP_MESSAGES: positiveInt(200),
  PARLEY_WEBCHAT_DEMO: flag,
  NODE_ENV: z.string().optional(),
  PARLEY_ROUTING_CONFIG: z.string().optional(),
});

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
  readonly demo: boolean;
  /** The routing file, read for the teams' business hours (out-of-hours notice). */
  readonly routingConfig: string | undefined;
}

/** Reads the settings, or throws naming every variable that is wrong. */
export function readWebchatSettings(env: Readonly<Record<string, string | undefined>>): WebchatSettings {
  const blankless = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = WebchatEnvSchema.safeParse(blankless);
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join('.') || 'webchat'}: ${i.message}`).join('; '));
  const e = parsed.data;
  if (e.WEBCHAT_IDENTITY_ENFORCE === 'true' && !e.WEBCHAT_IDENTITY_SECRET) throw new Error('WEBCHAT_IDENTITY_ENFORCE=true needs WEBCHAT_IDENTITY_SECRET');
  return {
    allowedOrigins: e.WEBCHAT_ALLOWED_ORIGINS.map((o) => new URL(o).origin),
    secret: e.WEBCHAT_SECRET,
    identitySecret: e.WEBCHAT_IDENTITY_SECRET,
    enforceIdentity: e.WEBCHAT_IDENTITY_ENFORCE === 'true',
    team: e.WEBCHAT_TEAM,
    sessionRate: e.WEBCHAT_SESSION_RATE,
    messageRate: e.WEBCHAT_MESSAGE_RATE,
    ipMessageRate: e.WEBCHAT_IP_MESSAGE_RATE,
    maxText: e.WEBCHAT_MAX_TEXT,
    maxFileBytes: e.WEBCHAT_MAX_FILE_BYTES,
    fileTypes: e.WEBCHAT_FILE_TYPES,
    keepMessages: e.WEBCHAT_KEEP_MESSAGES,
    demo: e.PARLEY_WEBCHAT_DEMO ? e.PARLEY_WEBCHAT_DEMO === 'true' : e.NODE_ENV === 'development',
    routingConfig: e.PARLEY_ROUTING_CONFIG,
  };
}

/** Whether a media type is one of the allowed patterns (type/subtype or type/*). */
export function fileTypeAllowed(patterns: readonly string[], mimeType: string): boolean {
  const type = mimeType.toLowerCase().split(';')[0]?.trim() ?? '';
  return patterns.some((p) => (p.endsWith('/*') ? type.startsWith(p.slice(0, -1).toLowerCase()) : type === p.toLowerCase()));
}
