import type { ChannelStateStore } from '../../src/core/channel.ts';
import { Mutex } from '../../src/core/mutex.ts';

interface SentMark {
  readonly id: string;
  readonly at: number;
}

export interface LoopGuardLimit {
  /** Automatic mails one address may get within `windowMs`. */
  readonly max: number;
  readonly windowMs: number;
}

/**
 * At most `max` automatic mails to one address per window, counted in the channel's durable
 * state (so a restart or a second process does not reset the count). Two auto-responders that
 * answer each other stop after `max` rounds even when neither marks its mail as automatic.
 */
export class LoopGuard {
  readonly #lock = new Mutex();

  constructor(
    private readonly state: ChannelStateStore,
    private readonly limit: LoopGuardLimit,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Counts automatic mail `messageId` to `address` and returns undefined, or returns why it must
   * not be sent (the count is then unchanged). A retry of the same message is not counted again.
   */
  take(address: string, messageId: string): Promise<string | undefined> {
    // One lock for every address: the read-modify-write of one key must not interleave.
    return this.#lock.run(async () => {
      const key = `loop-guard:${address.toLowerCase()}`;
      const now = this.now().getTime();
      const stored = await this.state.get(key);
      const recent = (Array.isArray(stored) ? (stored as SentMark[]) : []).filter((m) => typeof m?.at === 'number' && m.at > now - this.limit.windowMs);
      if (recent.some((m) => m.id === messageId)) return undefined;
      if (recent.length >= this.limit.max)
        return `loop guard: ${recent.length} automatic mails were sent to ${address} in the last ${Math.round(this.limit.windowMs / 60_000)} min (limit ${this.limit.max})`;
      await this.state.set(key, [...recent, { id: messageId, at: now }]);
      return undefined;
    });
  }
}
