import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { ChannelAdapter, ChannelContext, ChannelHealth, SendResult } from '../../src/core/channel.ts';
import { SendError } from '../../src/core/channel.ts';
import type { ConsentAction, OutboundMessage } from '../../src/core/message.ts';
import { renderAsText } from '../../src/core/render.ts';
import { consentKeyword } from './keywords.ts';
import { OPTED_OUT, type SmsInbound, type SmsProvider } from './provider.ts';
import { limitSegments, type SegmentLimitMode } from '../../src/core/sms-segments.ts';
import { smsCapabilities } from './capabilities.ts';

export interface SmsOptions {
  readonly maxSegments: number;
  readonly segmentLimitMode: SegmentLimitMode;
  /** Answers to STOP / START / HELP when the provider does not send its own; by language. */
  readonly consentReplies: Record<ConsentAction, Record<string, string>>;
}

/** SMS through a pluggable provider: consent keywords, segment limits, delivery reports. */
export class SmsAdapter implements ChannelAdapter {
  readonly name = 'sms';
  readonly capabilities = smsCapabilities;
  #context: ChannelContext | undefined;

  constructor(
    private readonly provider: SmsProvider,
    private readonly options: SmsOptions,
  ) {}

  async start(context: ChannelContext): Promise<void> {
    this.#context = context;
    await this.provider.start?.();
  }

  async stop(): Promise<void> {
    await this.provider.stop?.();
    this.#context = undefined;
  }

  async verify(): Promise<string> {
    if (!this.provider.verify) return `${this.provider.name}: no credential check for this provider`;
    return this.provider.verify();
  }

  health(): ChannelHealth {
    return { ready: this.#context !== undefined, detail: `${this.provider.name}${this.#context ? '' : ' (not started)'}` };
  }

  readonly webhooks: FastifyPluginAsync = async (app) => {
    await app.register(
      this.provider.routes({
        inbound: (message) => this.#receive(message),
        status: (update) => this.#ctx().reportStatus(update),
        logger: app.log as unknown as Logger,
      }),
    );
  };

  #ctx(): ChannelContext {
    if (!this.#context) throw new Error('the sms channel is not started');
    return this.#context;
  }

  async #receive(message: SmsInbound): Promise<void> {
    const keyword = consentKeyword(message.text);
    let consent;
    if (message.providerConsent) {
      const { action, reply } = message.providerConsent;
      consent = { action, reply: reply ? { text: reply, sentBy: 'provider' as const } : undefined };
    } else if (keyword) {
      const byProvider = this.provider.providerConsentReply?.(keyword.action, keyword.keyword);
      const replies = this.options.consentReplies[keyword.action];
      const text = byProvider ?? replies[keyword.locale] ?? replies.en;
      consent = { action: keyword.action, reply: text ? { text, sentBy: byProvider ? ('provider' as const) : ('parley' as const) } : undefined };
    }
    await this.#ctx().receive({
      externalId: message.externalId,
      sender: { address: message.from, addressKind: 'phone' },
      text: message.text,
      attachments: [...message.media],
      consent,
      metadata: message.to ? { to: message.to } : {},
      raw: message.raw,
    });
  }

  async send(message: OutboundMessage): Promise<SendResult> {
    const { content } = message;
    const mediaUrls = content.attachments.map((a) => {
      if (!a.url || !/^https?:\/\//.test(a.url)) {
        throw new SendError(`attachment ${a.fileName ?? a.kind} has no public http(s) URL; MMS needs one the provider can fetch`, { retryable: false });
      }
      return a.url;
    });
    const text = renderAsText({ ...content, attachments: [] });
    const parts = limitSegments(text, this.options.maxSegments, this.options.segmentLimitMode);
    let externalId: string | undefined;
    for (const [index, part] of parts.entries()) {
      try {
        ({ externalId } = await this.provider.send({
          to: message.recipient,
          text: part,
          mediaUrls: index === 0 ? mediaUrls : [],
          messageId: parts.length > 1 ? `${message.messageId}:${index + 1}` : message.messageId,
          trackStatus: index === parts.length - 1,
        }));
      } catch (error) {
        if (error instanceof SendError && error.code === OPTED_OUT) await this.#ctx().recordConsent(message.recipient, 'opt_out');
        throw error;
      }
    }
    // Statuses are tracked on the last part: delivered means the whole text arrived.
    return { externalId };
  }
}
