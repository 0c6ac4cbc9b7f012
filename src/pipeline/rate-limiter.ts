import type { Rate } from '../core/channel.ts';

/** A token bucket: up to `count` sends at once, refilled at `count` per `perMs`. */
class TokenBucket {
  #tokens: number;
  #updatedAt: number;

  constructor(
    private readonly rate: Rate,
    now: number,
  ) {
    this.#tokens = rate.count;
    this.#updatedAt = now;
  }

  /** Takes a token if one is there and returns 0, else returns ms until one will be. */
  take(now: number): number {
    const refill = ((now - this.#updatedAt) * this.rate.count) / this.rate.perMs;
    this.#tokens = Math.min(this.rate.count, this.#tokens + refill);
    this.#updatedAt = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.#tokens) * this.rate.perMs) / this.rate.count);
  }

  /** Returns a taken token (the other bucket of a pair said no). */
  giveBack(): void {
    this.#tokens = Math.min(this.rate.count, this.#tokens + 1);
  }
}

/**
 * Per-channel and per-recipient send rates. In-process: with several processes on one
 * database, each enforces its share; divide the limits by the process count.
 */
export class RateLimiter {
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(private readonly now: () => number = Date.now) {}

  /** 0 when the send may go now (tokens taken), else how long to wait. */
  tryTake(channel: string, recipient: string, limits: { perChannel?: Rate; perRecipient?: Rate }): number {
    const now = this.now();
    const channelBucket = limits.perChannel && this.#bucket(`c:${channel}`, limits.perChannel, now);
    const recipientBucket = limits.perRecipient && this.#bucket(`r:${channel}:${recipient}`, limits.perRecipient, now);
    const waitChannel = channelBucket ? channelBucket.take(now) : 0;
    if (waitChannel > 0) return waitChannel;
    const waitRecipient = recipientBucket ? recipientBucket.take(now) : 0;
    if (waitRecipient > 0) {
      channelBucket?.giveBack();
      return waitRecipient;
    }
    return 0;
  }

  #bucket(key: string, rate: Rate, now: number): TokenBucket {
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(rate, now);
      this.#buckets.set(key, bucket);
    }
    return bucket;
  }
}
