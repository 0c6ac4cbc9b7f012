import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { Attachment, ConsentAction, DeliveryStatusUpdate } from '../../src/core/message.ts';

/** One inbound SMS/MMS as a provider's webhook carried it. */
export interface SmsInbound {
  readonly externalId: string;
  readonly from: string;
  readonly to?: string;
  readonly text?: string;
  readonly media: readonly Attachment[];
  /**
   * The provider already recognised a consent keyword (its own or one configured with it) and
   * answered it: the action, and the answer's text when known. Parley sends nothing more.
   */
  readonly providerConsent?: { readonly action: ConsentAction; readonly reply?: string };
  readonly raw: unknown;
}

/** Where a provider's webhook routes hand what they received; resolve means stored. */
export interface SmsWebhookSink {
  inbound(message: SmsInbound): Promise<void>;
  status(update: Omit<DeliveryStatusUpdate, 'channel'>): Promise<void>;
  readonly logger: Logger;
}

export interface SmsSend {
  readonly to: string;
  readonly text: string;
  readonly mediaUrls: readonly string[];
  /** Parley's message id: stable across retries. */
  readonly messageId: string;
  /** Whether delivery reports are wanted (only the last part of a split text is tracked). */
  readonly trackStatus: boolean;
}

/**
 * An SMS gateway. Twilio is the first; a local gateway is one file implementing this.
 * send() throws SendError (retryable or not) so the outbox knows whether to try again.
 */
export interface SmsProvider {
  readonly name: string;
  send(message: SmsSend): Promise<{ externalId: string }>;
  /** Webhook routes (inbound messages, delivery reports), mounted under /webhooks/sms. */
  readonly routes: (sink: SmsWebhookSink) => FastifyPluginAsync;
  /** The answer the provider itself already sent for a keyword, if it answers that keyword. */
  providerConsentReply?(action: ConsentAction, keyword: string): string | undefined;
  /** Throws a clear error when the provider cannot be reached or its credentials are refused. */
  start?(): Promise<void>;
  /** A harmless call that proves the credentials (for `parley doctor`); says what it found. */
  verify?(): Promise<string>;
  stop?(): Promise<void>;
}

/** SendError code a provider uses when it refused because the recipient opted out; the adapter records it. */
export const OPTED_OUT = 'opted_out';
