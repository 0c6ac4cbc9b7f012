import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { AddressKind } from './address.ts';
import type { Attachment, DeliveryStatusUpdate, InboundMessage, OutboundMessage } from './message.ts';

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
}

export type AcceptResult = { readonly status: 'accepted'; readonly eventId: string } | { readonly status: 'duplicate'; readonly eventId?: undefined };

/** What the core gives an adapter when it starts. */
export interface ChannelContext {
  /** Stores the message durably; resolve means it is safe to acknowledge the provider. */
  receive(message: InboundMessage): Promise<AcceptResult>;
  reportStatus(update: DeliveryStatusUpdate): Promise<void>;
  /** Records an opt-out or opt-in for an address learned outside an inbound message (e.g. a provider's send error). */
  recordConsent(address: string, action: 'opt_out' | 'opt_in'): Promise<void>;
  /** When this address last wrote on this channel (e.g. WhatsApp's 24-hour window), or undefined. */
  lastInboundAt(address: string): Promise<Date | undefined>;
  /** What an adapter needs to thread a reply: the conversation's ref, subject, team and recent provider ids (oldest first). */
  conversationThread(conversationId: string): Promise<ConversationThread>;
  /** Runs `payload` through the adapter's `retry` after `delayMs`, as a durable job retried with backoff; one job per `key`. */
  retryLater(task: { readonly key: string; readonly payload: unknown; readonly delayMs: number }): Promise<void>;
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

export interface ChannelSetting {
  readonly env: string;
  readonly description: string;
  readonly example: string;
  readonly default?: string;
}

/** One line in channels/index.ts registers a channel through this. */
export interface ChannelDefinition {
  readonly name: string;
  readonly description: string;
  readonly capabilities: ChannelCapabilities;
  readonly settings: readonly ChannelSetting[];
  /** An adapter when the channel is configured, else why it is off and how to turn it on. */
  create(env: Readonly<Record<string, string | undefined>>): ChannelAdapter | { readonly off: string };
}
