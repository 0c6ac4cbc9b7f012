import { isSupportedCountry } from 'libphonenumber-js/max';
import { z } from 'zod';
import { checkTimeZone } from './agent-text/agent-text.ts';
import type { Rate } from './core/channel.ts';
import { parseChannelCaps, parseConsentChannels, parseContactCap, parseContactKinds } from './contact/policy-config.ts';
import { parseDuration, parseRate } from './core/duration.ts';
import { parseQuietHours } from './campaigns/schedule.ts';

/**
 * Every environment variable Parley reads, with its default and an example. The README's
 * configuration table and `parley config` are printed from this list.
 */
interface Setting<T> {
  readonly description: string;
  /** May name another setting as `${NAME}`: its value is put in (PARLEY_DATA_DIR in the database's default). */
  readonly default?: string;
  readonly example: string;
  readonly secret?: boolean;
  readonly parse: (value: string) => T;
}

const text = (value: string) => value;
const duration = (value: string) => parseDuration(value);
const positiveInt = (value: string) => z.coerce.number().int().positive().parse(value);
const nonNegativeInt = (value: string) => z.coerce.number().int().nonnegative().parse(value);
const oneOf =
  <const T extends string>(...values: T[]) =>
  (value: string): T => {
    if (!(values as string[]).includes(value)) throw new Error(`"${value}" is not one of ${values.join(', ')}`);
    return value as T;
  };
/** "IR" or "IR,AE": kept as the comma-separated text normalizePhone reads. */
const regions = (value: string) => {
  const list = value.split(',').map((r) => r.trim());
  for (const code of list) {
    if (!/^[A-Z]{2}$/.test(code) || !isSupportedCountry(code)) throw new Error(`"${code || value}" is not an ISO 3166 country code such as IR, AE, US`);
  }
  return list.join(',');
};
const localeTag = (value: string) => {
  if (!/^[a-z]{2,3}(-[A-Za-z0-9]+)?$/.test(value)) throw new Error(`"${value}" is not a language tag such as en, fa, ar`);
  return value;
};
/** "whatsapp=80/s;sms=1/s;slack:recipient=1/s" */
const rateTable = (value: string) => {
  const table: Record<string, Rate> = {};
  for (const part of value
    .split(/[;,]/)
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [key, rate] = part.split('=');
    if (!key || !rate) throw new Error(`"${part}" is not channel=rate (e.g. whatsapp=80/s or sms:recipient=1/s)`);
    table[key.trim()] = parseRate(rate);
  }
  return table;
};

/** "20s;email=60s": a bare duration is every channel's, `channel=duration` overrides one. */
export interface SendTimeouts {
  readonly defaultMs: number;
  readonly perChannel: Readonly<Record<string, number>>;
}
const timeoutTable = (value: string): SendTimeouts => {
  let defaultMs = 20_000;
  const perChannel: Record<string, number> = {};
  for (const part of value
    .split(/[;,]/)
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [key, ms] = part.includes('=') ? part.split('=').map((p) => p.trim()) : [undefined, part];
    if (key === '' || !ms) throw new Error(`"${part}" is not a duration (20s) or channel=duration (email=60s)`);
    if (key === undefined) defaultMs = parseDuration(ms);
    else perChannel[key] = parseDuration(ms);
  }
  return { defaultMs, perChannel };
};

export const settings = {
  DATABASE_URL: {
    description: 'Where Parley keeps its data: a SQLite file (embedded default, WAL mode, in PARLEY_DATA_DIR) or a PostgreSQL URL.',
    default: 'file:${PARLEY_DATA_DIR}/parley.db',
    example: 'postgres://parley:secret@127.0.0.1:5432/parley',
    secret: true,
    parse: text,
  },
  PARLEY_DATA_DIR: {
    description: 'Directory of the data Parley keeps on disk: the SQLite database (unless DATABASE_URL says otherwise), attachments, channel sessions.',
    default: './data',
    example: '/var/lib/parley',
    parse: text,
  },
  PARLEY_FLOWS_DIR: {
    description: 'Directory of the flow files (YAML) the bot runs; edits are picked up while running.',
    default: './flows',
    example: '/etc/parley/flows',
    parse: text,
  },
  HOST: { description: 'Address the HTTP server listens on.', default: '127.0.0.1', example: '0.0.0.0', parse: text },
  PORT: { description: 'Port of the HTTP server (webhooks, API, health).', default: '3000', example: '8080', parse: nonNegativeInt },
  PARLEY_API_TOKEN: {
    description: 'Bearer token for the REST API under /api/v1. Unset: the API answers 503 and says how to enable it.',
    example: 'a-long-random-string',
    secret: true,
    parse: text,
  },
  PARLEY_DEFAULT_REGION: {
    description:
      'Countries (ISO 3166 alpha-2, comma-separated, in order of preference) a phone number written without a country code may be from ("0912 …" in IR, "050 …" in AE); the first where it is a valid number wins.',
    default: 'IR,AE',
    example: 'AE,SA',
    parse: regions,
  },
  PARLEY_DEFAULT_LOCALE: {
    description: "Language used when a customer's record and message do not tell (en, fa, ar, ...).",
    default: 'en',
    example: 'fa',
    parse: localeTag,
  },
  PARLEY_REOPEN_WINDOW: {
    description: 'A customer who writes again within this time after a conversation was resolved reopens it; later starts a new one.',
    default: '24h',
    example: '7d',
    parse: duration,
  },
  PARLEY_LINK_SAME_PHONE: {
    description:
      'true: a phone number already known on another channel (WhatsApp, SMS, WhatsApp Web) is the same customer: the new channel identity joins that record, with no second onboarding. false: each channel makes its own customer.',
    default: 'true',
    example: 'false',
    parse: oneOf('true', 'false'),
  },
  PARLEY_ACK_TEXT: {
    description:
      "Reply of the default handler (used until a flow or an agent takes the conversation). Unset: a built-in English/Persian/Arabic text by the customer's language.",
    example: 'Thanks, we got your message.',
    parse: text,
  },
  PARLEY_TRUST_PROXY: {
    description:
      'true when Parley runs behind a reverse proxy that sets X-Forwarded-Proto/-Host/-For: only then are they believed (client address, and the URL Twilio signatures are checked against when SMS_PUBLIC_URL is unset).',
    default: 'false',
    example: 'true',
    parse: oneOf('true', 'false'),
  },
  PARLEY_MEDIA_PRIVATE_ADDRESSES: {
    description:
      'Private or loopback addresses inbound media may still be fetched from (comma-separated; e.g. a local test double or an on-premises gateway). Unset: media is never fetched from private, loopback or link-local addresses.',
    example: '127.0.0.1,::1',
    parse: text,
  },
  PARLEY_MEDIA_MAX_BYTES: {
    description: 'Largest inbound media file a channel downloads; a larger one is refused with the reason.',
    default: '26214400',
    example: '5242880',
    parse: positiveInt,
  },
  PARLEY_MEDIA_TIMEOUT: { description: 'Longest time one inbound media download may take.', default: '30s', example: '10s', parse: duration },
  PARLEY_BOTKIT_DIALOGS: {
    description:
      'A module exporting Botkit dialogs (README: Bringing Botkit dialogs). Set: they run beside the YAML flows (a message no flow takes begins the start dialog; a conversation in a dialog stays with it), their state in the database; unset: no Botkit.',
    example: './my-dialogs.js',
    parse: text,
  },
  PARLEY_WORKER_CONCURRENCY: {
    description: 'Batches of inbound messages one process handles at once (messages of one conversation are always handled in order).',
    default: '2',
    example: '4',
    parse: positiveInt,
  },
  PARLEY_BATCH_SIZE: {
    description: 'Conversations whose next message is handled together in one batch and one transaction.',
    default: '200',
    example: '50',
    parse: positiveInt,
  },
  PARLEY_LEASE_TTL: {
    description: 'How long a process owns a conversation lane or a send before another process may take it over (crash recovery).',
    default: '30s',
    example: '10s',
    parse: duration,
  },
  PARLEY_EVENT_SUBSCRIBER_TTL: {
    description:
      'How long an event subscriber (a plugin such as the Slack desk) stays known after the last process running it was seen: events keep queueing for it meanwhile; after that its waiting events are dropped.',
    default: '7d',
    example: '24h',
    parse: duration,
  },
  PARLEY_POLL_INTERVAL: {
    description: 'How often workers look for work written by other processes or left by a crash.',
    default: '1s',
    example: '250ms',
    parse: duration,
  },
  PARLEY_SEND_MAX_ATTEMPTS: {
    description: 'Attempts per outbound message before it is marked failed.',
    default: '8',
    example: '5',
    parse: positiveInt,
  },
  PARLEY_SEND_BACKOFF_BASE: { description: 'First retry delay; it doubles each attempt, with jitter.', default: '1s', example: '500ms', parse: duration },
  PARLEY_SEND_BACKOFF_MAX: { description: 'Longest retry delay.', default: '5m', example: '1h', parse: duration },
  PARLEY_SEND_TIMEOUTS: {
    description:
      'Deadline of one provider call: a bare duration for every channel, `name=duration` for one, `;`-separated. A call past it is aborted and tried again later; as the provider may have sent it, the row then says the customer may get it twice.',
    default: '20s;email=60s',
    example: '15s;whatsapp=10s',
    parse: timeoutTable,
  },
  PARLEY_SEND_CONCURRENCY: {
    description: 'Recipients of one channel a process sends to at once; messages to one recipient always go one after the other, in order.',
    // Sends in flight bound a process's send rate: each takes a provider call (hundreds of ms at
    // Meta) plus its bookkeeping commits, so 16 capped one process near 250 sends/s even against
    // a local fake provider, and below WhatsApp's 80/s per number at a few hundred ms a call.
    default: '64',
    example: '128',
    parse: positiveInt,
  },
  PARLEY_RATE_LIMITS: {
    description:
      "Overrides of send rates per channel (`name=N/s`) and per recipient (`name:recipient=N/s`), `;`-separated. Defaults come from each provider's published limits (WhatsApp 80/s per number, Slack 1/s per channel, Twilio long code 1/s).",
    example: 'whatsapp=40/s;sms=1/s;slack:recipient=1/s',
    parse: rateTable,
  },
  PARLEY_ROUTING_CONFIG: {
    description:
      'YAML file of teams (assignment strategy, business hours, escalation), agents, SLA targets, priority rules, ticket notices and lifecycle rules (README: Routing). Unset: no SLAs, round robin among team members, always open.',
    example: './config/routing.yaml',
    parse: text,
  },
  PARLEY_TEMPLATES_FILE: {
    description:
      'YAML file of approved WhatsApp message templates per purpose and language (README: WhatsApp templates), sent outside the 24-hour window. Unset: only WHATSAPP_TEMPLATE_NAME.',
    example: './config/templates.yaml',
    parse: text,
  },
  PARLEY_ALERTS_CONFIG: {
    description: 'YAML file of alert rules (README: Alerts). Unset: no alerts.',
    example: './config/alerts.yaml',
    parse: text,
  },
  PARLEY_NOTIFY_SMTP_URL: {
    description:
      "SMTP server for desk notices by email (alerts to their rule's address, other notices to PARLEY_NOTIFY_EMAIL). Unset: notices are only logged (and sent to the Slack desk when it runs).",
    example: 'smtp://user:secret@smtp.example.com:587',
    secret: true,
    parse: text,
  },
  PARLEY_NOTIFY_FROM: { description: 'Sender address of notice emails.', default: 'parley@localhost', example: 'helpdesk@example.com', parse: text },
  PARLEY_NOTIFY_EMAIL: {
    description: 'Address that gets SLA warnings, breaches and assignment notices by email (needs PARLEY_NOTIFY_SMTP_URL).',
    example: 'support-leads@example.com',
    parse: text,
  },
  OPENAI_API_KEY: {
    description:
      'Key of the OpenAI-compatible API used for AI assist (intent, urgency, hand-off summaries, suggested replies). Unset: AI assist is off and keyword rules answer.',
    example: 'sk-...',
    secret: true,
    parse: text,
  },
  OPENAI_BASE_URL: {
    description: 'Base URL of the OpenAI-compatible API (a local model server works). Unset: api.openai.com.',
    example: 'http://127.0.0.1:11434/v1',
    parse: text,
  },
  OPENAI_MODEL: { description: 'Model for every AI task that has no model of its own.', default: 'gpt-4o-mini', example: 'gpt-4.1-mini', parse: text },
  OPENAI_CLASSIFY_MODEL: { description: 'Model that classifies inbound messages. Unset: OPENAI_MODEL.', example: 'gpt-4.1-nano', parse: text },
  OPENAI_SUMMARY_MODEL: { description: 'Model that writes hand-off summaries. Unset: OPENAI_MODEL.', example: 'gpt-4.1-mini', parse: text },
  OPENAI_REPLY_MODEL: { description: 'Model that drafts suggested replies. Unset: OPENAI_MODEL.', example: 'gpt-4.1', parse: text },
  OPENAI_TIMEOUT: {
    description: 'Longest time one AI call may take, retries included; then the keyword fallback answers, so no customer waits longer.',
    default: '3s',
    example: '1500ms',
    parse: duration,
  },
  OPENAI_MAX_RETRIES: {
    description: 'Retries of a failed AI call (429, 5xx, network), within OPENAI_TIMEOUT.',
    default: '1',
    example: '0',
    parse: nonNegativeInt,
  },
  OPENAI_DAILY_TOKEN_BUDGET: {
    description:
      'Tokens AI assist may use per UTC day, counted in the database across all processes from the usage the API reports. Spent: keyword fallback until midnight UTC. Unset: no limit.',
    example: '200000',
    parse: positiveInt,
  },
  PARLEY_AI_ENABLED: {
    description: 'false switches AI assist off for the whole deployment even when OPENAI_API_KEY is set.',
    default: 'true',
    example: 'false',
    parse: oneOf('true', 'false'),
  },
  PARLEY_AI_CHANNELS: {
    description: 'Comma-separated channels whose conversations may use AI assist. Unset: all channels.',
    example: 'whatsapp,email',
    parse: (value: string) =>
      value
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean),
  },
  PARLEY_AI_CACHE_SIZE: {
    description: 'Identical AI requests answered from an in-memory cache (per process) of this many entries, for PARLEY_AI_CACHE_TTL; 0 turns it off.',
    default: '1000',
    example: '0',
    parse: nonNegativeInt,
  },
  PARLEY_AI_CACHE_TTL: { description: 'How long a cached AI answer is reused.', default: '1h', example: '10m', parse: duration },
  PARLEY_AGENT_LOCALE: {
    description:
      'Language of everything agents and managers read: hand-off summaries, the Slack card and notices, desk notices, alerts, CLI tables and report tables (en, fa, ar; other languages read English).',
    default: 'en',
    example: 'fa',
    parse: localeTag,
  },
  PARLEY_CONTACT_CAP: {
    description:
      'At most this many proactive messages of any kind (campaign, win-back, survey, notice) per customer on all channels within the duration; more are skipped with the reason frequency_cap.',
    default: '3/7d',
    example: '4/30d',
    parse: parseContactCap,
  },
  PARLEY_CAMPAIGN_CONTACT_CAP: {
    description: 'At most this many campaign messages per customer within the duration (and within PARLEY_CONTACT_CAP).',
    default: '2/7d',
    example: '1/7d',
    parse: parseContactCap,
  },
  PARLEY_WINBACK_CONTACT_CAP: {
    description: 'At most this many win-back starts per customer within the duration (and within PARLEY_CONTACT_CAP).',
    default: '2/30d',
    example: '1/90d',
    parse: parseContactCap,
  },
  PARLEY_SURVEY_CONTACT_CAP: {
    description:
      'At most this many automatic surveys (flows started by conversation.resolved or ticket.closed) per customer within the duration (and within PARLEY_CONTACT_CAP); more are skipped and counted with their reason in reports.',
    default: '1/7d',
    example: '2/30d',
    parse: parseContactCap,
  },
  PARLEY_NOTICE_CONTACT_CAP: {
    description: 'At most this many proactive notices (reminders) per customer within the duration (and within PARLEY_CONTACT_CAP).',
    default: '3/1d',
    example: '5/1d',
    parse: parseContactCap,
  },
  PARLEY_CHANNEL_CONTACT_CAPS: {
    description: 'Caps per channel as channel=messages/duration, for proactive messages of every kind on that channel. Unset: only the caps above.',
    example: 'sms=1/7d,whatsapp=2/7d',
    parse: parseChannelCaps,
  },
  PARLEY_CONTACT_SKIP_BUSY: {
    description:
      'Contact kinds that skip a customer in an open conversation (held by an agent, or in a flow that moved within PARLEY_REOPEN_WINDOW) or with an open complaint; none: no kind does.',
    default: 'campaign',
    example: 'campaign,survey',
    parse: parseContactKinds,
  },
  PARLEY_CONSENT_CHANNELS: {
    description:
      'Channels on which campaigns reach only customers who wrote to us there first (their opt-in; WhatsApp requires one for business-initiated messages); others are skipped with the reason no_consent; none: no channel needs it.',
    default: 'whatsapp,sms',
    example: 'whatsapp,sms,email',
    parse: parseConsentChannels,
  },
  PARLEY_CAMPAIGN_TIMEZONE: {
    description:
      "IANA time zone of a campaign's send time for customers with no `timezone` attribute whose phone number's country has no single zone (or who have no phone).",
    default: 'UTC',
    example: 'Asia/Tehran',
    parse: checkTimeZone,
  },
  PARLEY_CAMPAIGN_QUIET_HOURS: {
    description: "Local hours (each customer's time zone) in which campaigns send nothing; a send due then waits until they end. 00:00-00:00: none.",
    default: '21:00-09:00',
    example: '22:00-08:30',
    parse: parseQuietHours,
  },
  PARLEY_CAMPAIGN_RATE_SHARE: {
    description:
      "Percentage of each channel's send rate (PARLEY_RATE_LIMITS or the provider's published limit) that campaigns together may queue, and the pace of win-back sweeps' starts; the rest stays free for conversations.",
    default: '50',
    example: '30',
    parse: (value: string) => z.coerce.number().int().min(1).max(100).parse(value),
  },
  PARLEY_AGENT_TIMEZONE: {
    description:
      'IANA time zone of the dates agents and managers read (notices, report tables, CLI views); with PARLEY_AGENT_LOCALE=fa in the Jalali calendar.',
    default: 'UTC',
    example: 'Asia/Tehran',
    parse: checkTimeZone,
  },
  LOG_LEVEL: {
    description: 'trace, debug, info, warn, error. Message bodies are logged only at debug and below.',
    default: 'info',
    example: 'debug',
    parse: oneOf('trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'),
  },
  LOG_FORMAT: {
    description: 'pretty (readable on a terminal) or json (one object per line). Default: pretty on a terminal, json otherwise.',
    example: 'json',
    parse: oneOf('pretty', 'json'),
  },
} satisfies Record<string, Setting<unknown>>;

type Settings = typeof settings;
export type SettingName = keyof Settings;
type Parsed<K extends SettingName> = ReturnType<Settings[K]['parse']>;
export type Config = {
  readonly [K in SettingName]: Settings[K] extends { default: string } ? Parsed<K> : Parsed<K> | undefined;
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Configuration is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  const problems: string[] = [];
  const config: Record<string, unknown> = {};
  const given = (name: string) => (env[name] !== undefined && env[name] !== '' ? env[name] : undefined);
  const defaultOf = (name: string) => (settings as Record<string, Setting<unknown>>)[name]?.default;
  const rawOf = (name: string) => given(name) ?? defaultOf(name)?.replace(/\$\{(\w+)\}/g, (_m, other: string) => given(other) ?? defaultOf(other) ?? '');
  for (const [name, setting] of Object.entries(settings) as [SettingName, Setting<unknown>][]) {
    const raw = rawOf(name);
    if (raw === undefined) continue;
    try {
      config[name] = setting.parse(raw);
    } catch (error) {
      const reason = error instanceof z.ZodError ? error.issues.map((i) => i.message).join('; ') : (error as Error).message;
      problems.push(`${name}=${setting.secret ? '(hidden)' : JSON.stringify(raw)}: ${reason}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config as Config;
}

/** The names of settings whose values must never be printed or logged. */
export const secretSettings = Object.entries(settings)
  .filter(([, s]) => (s as Setting<unknown>).secret)
  .map(([name]) => name);
