/** Lanes hinted per channel at most; beyond that hints are dropped (the head walk finds those lanes). */
const MAX_HINTED_LANES = 20_000;

/**
 * Recipient lanes this process just queued sends on, per channel, so the dispatcher claims them
 * by key instead of walking the queue for the oldest heads. Several processes walking the same
 * queue meet the same oldest heads and race for their leases: one wins, the others' walks and
 * claims were wasted, so a second process sent hardly more than one. With hints each process
 * sends what it queued itself. The walk still runs at least once per poll interval: it finds
 * sends queued by other processes, retries that came due and a crash's leftovers, and keeps
 * hinted lanes from starving them.
 */
export class OutboxHints {
  readonly #lanes = new Map<string, Set<string>>();
  readonly #lastWalk = new Map<string, number>();

  constructor(
    private readonly walkEveryMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  add(sends: readonly { channel: string; laneKey: string }[]): void {
    for (const { channel, laneKey } of sends) {
      let lanes = this.#lanes.get(channel);
      if (!lanes) this.#lanes.set(channel, (lanes = new Set()));
      if (lanes.size < MAX_HINTED_LANES) lanes.add(laneKey);
    }
  }

  /** Up to `limit` hinted lanes of the channel that `skip` does not exclude (lanes sending now); they leave the hints. */
  take(channel: string, limit: number, skip: (laneKey: string) => boolean): string[] {
    const lanes = this.#lanes.get(channel);
    if (!lanes || limit <= 0) return [];
    const taken: string[] = [];
    for (const lane of lanes) {
      if (taken.length >= limit) break;
      if (skip(lane)) continue;
      taken.push(lane);
      lanes.delete(lane);
    }
    return taken;
  }

  /** Whether the channel's queue should be walked now: nothing hinted, or a poll interval since the last walk. */
  walkDue(channel: string): boolean {
    const now = this.now();
    if ((this.#lanes.get(channel)?.size ?? 0) > 0 && now - (this.#lastWalk.get(channel) ?? 0) < this.walkEveryMs) return false;
    this.#lastWalk.set(channel, now);
    return true;
  }
}
