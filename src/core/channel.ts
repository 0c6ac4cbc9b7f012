import type { TemplateResult } from '../contact/templates.ts';
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { AddressKind } from './address.ts';
import type { Attachment, DeliveryStatusUpdate, InboundMessage, OutboundContent, OutboundMessage } from './message.ts';
import { readSettings, type SettingDoc, type SettingsOf, type SettingsSchema } from './settings.ts';

/** A sustained rate: `count` sends per `perMs` milliseconds. */
export interface Rate {
  readonly count: number;
  readonly perMs: number;
}

/** What a channel can render, so flows and agents degrade gracefully. */
export interface ChannelCapabilities {
  readonly addressKind: AddressKind;
  readonly maxTextLength: number;
  /** Quick-reply buttons, or null when the channel has none (they become numbered text). */
  readonly buttons: { readonly max: number; readonly maxTitleLength: number } | null;
  /** Selectable lists, or null (they become numbered text). */
  readonly list: { readonly maxRows: number; readonly maxTitleLength: number } | null;
  readonly richText: 'none' | 'markdown' | 'html';
  readonly media: boolean;
  /** Providers' published limits; PARLEY_RATE_LIMITS overrides them. */
  readonly rateLimits: { readonly perChannel?: Rate; readonly perRecipient?: Rate };
  /**
   * A customer-service window: how long after a customer's last message the channel takes
   * free-form messages; outside it only an approved template goes (WhatsApp: 24 h). Absent: none.
   */
  readonly serviceWindowMs?: number;
}

/** Whether free-form messages may go to an address that last wrote at `lastInbound` (never: undefined). */
export function serviceWindowOpen(capabilities: Pick<ChannelCapabilities, 'serviceWindowMs'>, lastInbound: Date | undefined, now: Date): boolean {
  const windowMs = capabilities.serviceWindowMs;
  if (windowMs === undefined) return true;
  return lastInbound !== undefined && now.getTime() - lastInbound.getTime() < windowMs;
}

export type AcceptResult = { readonly status: 'accepted'; readonly eventId: string } | { readonly status: 'duplicate'; readonly eventId?: undefined };

/** An inbound message as an adapter hands it over: the core stamps the channel's name on it. */
export type ChannelInbound = Omit<InboundMessage, 'channel'>;
/** A delivery status as an adapter reports it: the core stamps the channel's name on it. */
export type ChannelStatusUpdate = Omit<DeliveryStatusUpdate, 'channel'>;

/** What the core gives an adapter when it starts. */
export interface ChannelContext {
  /** Stores the message durably; resolve means it is safe to acknowledge the provider. */
  receive(message: ChannelInbound): Promise<AcceptResult>;
  reportStatus(update: ChannelStatusUpdate): Promise<void>;
  /** Records an opt-out or opt-in for an address learned outside an inbound message (e.g. a provider's send error). */
  recordConsent(address: string, action: 'opt_out' | 'opt_in'): Promise<void>;
  /** When this address last wrote on this channel (e.g. WhatsApp's 24-hour window), or undefined. */
  lastInboundAt(address: string): Promise<Date | undefined>;
  /**
   * The approved template to send instead of `message` when the channel's window is closed
   * (PARLEY_TEMPLATES_FILE, by purpose and the customer's language), or why none fits;
   * undefined when no templates file is configured.
   */
  windowTemplate(message: OutboundMessage): Promise<TemplateResult | undefined>;
  /** What an adapter needs to thread a reply: the conversation's ref, subject, team and recent provider ids (oldest first). */
  conversationThread(conversationId: string): Promise<ConversationThread>;
  /** Runs `payload` through the adapter's `retry` after `delayMs`, as a durable job retried with backoff; one job per `key`. */
  retryLater(task: { readonly key: string; readonly payload: unknown; readonly delayMs: number }): Promise<void>;
  /**
   * Queues a copy of a stored reply through another running channel, e.g. email for a website
   * visitor who left the page: stored in the outbox as a message of the same conversation on
   * that channel, sent once and retried like any reply; the customer's answer to it (by its
   * provider id) joins that conversation. Asking again for the same reply and channel stores
   * nothing more. Resolves to false (nothing queued) when that channel is off or not started.
   */
  sendThrough(channel: string, copy: ReplyCopy): Promise<boolean>;
  /** Replaces the attachments of a stored inbound message (by provider id); false when it is not stored. */
  updateAttachments(externalId: string, update: (attachments: Attachment[]) => Attachment[]): Promise<boolean>;
  /** Small durable key-value state of this channel (cursors, sync positions). */
  readonly state: ChannelStateStore;
  readonly logger: Logger;
  readonly dataDir: string;
  readonly defaultRegion: string | undefined;
}

export interface ConversationThread {
  readonly ref: string | null;
  readonly subject: string | null;
  readonly team: string | null;
  readonly externalIds: readonly string[];
}

export interface ChannelStateStore {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
}

/** A stored reply (by its message id) to send again to `recipient` through another channel. */
export interface ReplyCopy {
  readonly messageId: string;
  readonly recipient: string;
  readonly content: OutboundContent;
  readonly authorName?: string;
}

export interface SendResult {
  /** The provider's id for the sent message, used to match delivery statuses. */
  readonly externalId?: string;
}

/** Thrown by adapters: says whether a retry can help and when. */
export class SendError extends Error {
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly code: string | undefined;

  constructor(message: string, options: { retryable: boolean; retryAfterMs?: number; code?: string; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'SendError';
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
    this.code = options.code;
  }
}

export interface ChannelHealth {
  readonly ready: boolean;
  readonly detail: string;
}

export interface ChannelAdapter {
  readonly name: string;
  readonly capabilities: ChannelCapabilities;
  start(context: ChannelContext): Promise<void>;
  stop(): Promise<void>;
  /**
   * Resolves once the provider accepted the message; throws SendError when it refused (then
   * nothing was sent). A call that neither resolves nor throws before its deadline has an
   * unknown outcome, and so does a call cut short by a crash.
   */
  send(message: OutboundMessage): Promise<SendResult>;
  /**
   * The provider deduplicates sends by OutboundMessage.messageId (an idempotency key), so a
   * send whose outcome is unknown may be sent again. Without it such a send is not repeated
   * and its outbox row ends as `unknown` (at most one delivery).
   */
  readonly idempotentSends?: boolean;
  health?(): ChannelHealth;
  /** A harmless call to the provider that proves the credentials (`parley doctor`); resolves to what it learned, rejects with why not. */
  verify?(): Promise<string>;
  /** Runs work the adapter scheduled with `context.retryLater`; throwing makes it run again later. */
  retry?(payload: unknown): Promise<void>;
  /** Webhook routes, mounted under /webhooks/<name> in their own Fastify scope. */
  readonly webhooks?: FastifyPluginAsync;
}

/** One documented environment variable (plugins list theirs; channels declare a settings schema). */
export type ChannelSetting = SettingDoc;

type Env = Readonly<Record<string, string | undefined>>;

/** Builds the adapter from the channel's typed settings (and the environment, for core settings such as PARLEY_MEDIA_*). */
export type ChannelFactory<T> = (settings: T, env: Env) => ChannelAdapter;

/** The module `load()` imports: the one that uses the provider's SDK. */
export interface ChannelModule<T> {
  create(settings: T, env: Env): ChannelAdapter;
}

/**
 * One line in channels/index.ts registers a channel through this. Everything here is plain
 * data, importable without the provider's SDK: `load()` imports the module that uses it, and
 * is called only for a channel that is on.
 */
export interface ChannelDefinition<S extends SettingsSchema = SettingsSchema> {
  readonly name: string;
  readonly description: string;
  readonly capabilities: ChannelCapabilities;
  /** Its environment variables: docs, defaults and typed values (src/core/settings.ts). */
  readonly settings: S;
  /** Why the channel is off and which settings turn it on; undefined when these settings turn it on. */
  off(settings: SettingsOf<S>): string | undefined;
  load(): Promise<ChannelModule<SettingsOf<S>>>;
}

/** Declares a channel with its settings' types flowing into `off` and the factory. */
export function defineChannel<S extends SettingsSchema>(definition: ChannelDefinition<S>): ChannelDefinition<S> {
  return definition;
}

export type ChannelStatus =
  { readonly state: 'on' } | { readonly state: 'off'; readonly detail: string } | { readonly state: 'misconfigured'; readonly detail: string };

/** On, off (and how to turn it on) or misconfigured (what is wrong), from the settings alone: nothing is loaded. */
export function channelStatus(definition: ChannelDefinition, env: Env): ChannelStatus {
  let settings: SettingsOf<SettingsSchema>;
  try {
    settings = readSettings(definition.settings, env);
  } catch (error) {
    return { state: 'misconfigured', detail: (error as Error).message };
  }
  const off = definition.off(settings);
  return off === undefined ? { state: 'on' } : { state: 'off', detail: off };
}

/**
 * The channel's adapter when its settings turn it on (its module and SDK loaded now), else why
 * it is off. Throws a SettingsError naming each variable that does not parse.
 */
export async function openChannel(definition: ChannelDefinition, env: Env): Promise<ChannelAdapter | { readonly off: string }> {
  const settings = readSettings(definition.settings, env);
  const off = definition.off(settings);
  if (off !== undefined) return { off };
  const module = await definition.load();
  return module.create(settings, env);
}
