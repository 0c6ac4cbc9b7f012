import type { webApi } from '@slack/bolt';
import { type Rate, SendError } from '../../core/channel.ts';
import type { RateLimiter } from '../../pipeline/rate-limiter.ts';

type WebClient = webApi.WebClient;

/** Slack allows about one message a second per channel (short bursts tolerated). */
export const SLACK_CHANNEL_RATE: Rate = { count: 1, perMs: 1000 };

interface SlackErrorShape {
  code?: string;
  retryAfter?: number;
  data?: { error?: string };
  message?: string;
}

/**
 * Turns a Web API failure into a SendError: a 429 carries Retry-After (the job runner waits
 * that long without counting an attempt), a platform error names Slack's reason.
 */
export function toSendError(method: string, error: unknown): SendError {
  const e = error as SlackErrorShape;
  if (e.code === 'slack_webapi_rate_limited_error') {
    return new SendError(`Slack ${method}: rate limited`, { retryable: true, retryAfterMs: (e.retryAfter ?? 1) * 1000, code: 'rate_limited', cause: error });
  }
  if (e.code === 'slack_webapi_platform_error') {
    const reason = e.data?.error ?? 'unknown_error';
    const permanent = ['channel_not_found', 'not_in_channel', 'is_archived', 'invalid_auth', 'account_inactive', 'missing_scope', 'message_not_found'];
    return new SendError(`Slack ${method} failed: ${reason}`, { retryable: !permanent.includes(reason), code: reason, cause: error });
  }
  return new SendError(`Slack ${method} failed: ${e.message ?? String(error)}`, { retryable: true, cause: error });
}

/** Every post to a Slack channel passes here: one limiter per Slack channel, across conversations. */
export class SlackPoster {
  constructor(
    readonly client: WebClient,
    private readonly limiter: RateLimiter,
    private readonly rate: Rate = SLACK_CHANNEL_RATE,
  ) {}

  /** Throws a SendError with retryAfterMs when this channel must wait. */
  #take(channel: string): void {
    const wait = this.limiter.tryTake('slack', channel, { perRecipient: this.rate });
    if (wait > 0)
      throw new SendError(`Slack channel ${channel}: waiting ${wait} ms for the rate limit`, { retryable: true, retryAfterMs: wait, code: 'local_rate_limit' });
  }

  async post(args: { channel: string; text: string; thread_ts?: string; blocks?: unknown[]; reply_broadcast?: boolean; metadata?: unknown }): Promise<string> {
    this.#take(args.channel);
    try {
      const result = await this.client.chat.postMessage({ ...args, unfurl_links: false, unfurl_media: false, link_names: false } as never);
      if (!result.ts) throw new Error('chat.postMessage returned no ts');
      return result.ts;
    } catch (error) {
      throw toSendError('chat.postMessage', error);
    }
  }

  /** Edits are not new messages: Slack limits chat.update per app (Tier 3), not per channel. */
  async update(args: { channel: string; ts: string; text: string; blocks?: unknown[] }): Promise<void> {
    try {
      await this.client.chat.update({ ...args, blocks: args.blocks as never, link_names: false });
    } catch (error) {
      throw toSendError('chat.update', error);
    }
  }

  async upload(args: { channel: string; thread_ts: string; filename: string; file: Buffer; title?: string }): Promise<void> {
    this.#take(args.channel);
    try {
      await this.client.files.uploadV2({ channel_id: args.channel, thread_ts: args.thread_ts, filename: args.filename, file: args.file, title: args.title });
    } catch (error) {
      throw toSendError('files.uploadV2', error);
    }
  }

  /** Reactions are not messages: no channel rate; an existing reaction is fine. */
  async react(channel: string, ts: string, name: string): Promise<void> {
    try {
      await this.client.reactions.add({ channel, timestamp: ts, name });
    } catch (error) {
      if ((error as SlackErrorShape).data?.error === 'already_reacted') return;
      throw toSendError('reactions.add', error);
    }
  }

  async ephemeral(channel: string, user: string, text: string, threadTs?: string, blocks?: unknown[]): Promise<void> {
    try {
      await this.client.chat.postEphemeral({ channel, user, text, ...(threadTs ? { thread_ts: threadTs } : {}), ...(blocks ? { blocks } : {}) } as never);
    } catch (error) {
      throw toSendError('chat.postEphemeral', error);
    }
  }

  /** A thread's parent message with its metadata, or undefined when Slack has no such message. */
  async parentOf(channel: string, ts: string): Promise<{ ts?: string; metadata?: unknown } | undefined> {
    try {
      const result = await this.client.conversations.replies({ channel, ts, limit: 1, include_all_metadata: true });
      return result.messages?.find((m) => m.ts === ts);
    } catch (error) {
      if ((error as SlackErrorShape).data?.error === 'thread_not_found') return undefined;
      throw toSendError('conversations.replies', error);
    }
  }

  async permalink(channel: string, ts: string): Promise<string | undefined> {
    try {
      return (await this.client.chat.getPermalink({ channel, message_ts: ts })).permalink;
    } catch {
      return undefined;
    }
  }
}
