import type { Rate } from '../../src/core/channel.ts';

/**
 * Fixed-window counters per key (IP address, visitor): `count` events per `perMs`. Kept in
 * memory; windows that ended are dropped as keys are touched, so the map stays bounded by the
 * keys active in one window.
 */
export class WindowLimiter {
  readonly #windows = new Map<string, { startedAt: number; used: number }>();

  constructor(
    readonly rate: Rate,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one event; returns 0 when allowed, else the ms until the key's window ends. */
  take(key: string): number {
    const now = this.now();
    if (this.#windows.size > 10_000) for (const [k, w] of this.#windows) if (now - w.startedAt >= this.rate.perMs) this.#windows.delete(k);
    let window = this.#windows.get(key);
    if (!window || now - window.startedAt >= this.rate.perMs) this.#windows.set(key, (window = { startedAt: now, used: 0 }));
    if (window.used >= this.rate.count) return Math.max(1, window.startedAt + this.rate.perMs - now);
    window.used += 1;
    return 0;
  }
}
