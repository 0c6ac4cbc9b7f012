/** Lanes hinted per channel at most; beyond that hints are dropped (the head walk finds those lanes). */
const MAX_HINTED_LANES = 20_000;

/**
 * Recipient lanes this process just queued sends on, per channel, so the dispatcher claims them
 * by key instead of walking the queue for the oldest heads. Several processes walking the same
 * queue meet the same oldest heads and race for their leases: one wins, the others' walks and
 * claims were wasted, so a second process sent hardly more than one. With hints each process
 * sends what it queued itself.
 *
 * The walk runs when something may be due that no hint names: sends queued without saying on
 * which lanes (`ask`), a row a walk saw coming due (`dueIn`), and at least once per poll
 * interval (sends queued by other processes, a crash's leftovers; it also keeps hinted lanes
 * from starving them). It no longer runs merely because nothing is hinted: every finished send
 * woke the loop, found no hint and walked, which at 200 messages/s was 18,000 walks of two
 * queries each in 50 s, nearly all finding nothing.
 */
export class OutboxHints {
  readonly #lanes = new Map<string, Set<string>>();
  readonly #lastWalk = new Map<string, number>();
  readonly #asked = new Set<string>();
  readonly #dueAt = new Map<string, number>();

  constructor(
    private readonly walkEveryMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  add(sends: readonly { channel: string; laneKey: string }[]): void {
    for (const { channel, laneKey } of sends) {
      let lanes = this.#lanes.get(channel);
      if (!lanes) this.#lanes.set(channel, (lanes = new Set()));
      if (lanes.size < MAX_HINTED_LANES) lanes.add(laneKey);
      else this.#asked.add(channel);
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

  /** Sends no hint names may be due on these channels (queued without their lanes, a retry, a lane's unknown next row): walk at the next round. */
  ask(channels: Iterable<string>): void {
    for (const channel of channels) this.#asked.add(channel);
  }

  /** A walked row of the channel comes due in `ms` (a retry's backoff): walk then. */
  dueIn(channel: string, ms: number): void {
    const at = this.now() + ms;
    if (ms < this.walkEveryMs && at < (this.#dueAt.get(channel) ?? Infinity)) this.#dueAt.set(channel, at);
  }

  /** Milliseconds until a row `dueIn` named comes due (0: now; Infinity: none known): the loop sleeps no longer. */
  msUntilDue(channel: string): number {
    return Math.max(0, (this.#dueAt.get(channel) ?? Infinity) - this.now());
  }

  /** Whether the channel's queue should be walked now: asked to, a known row came due, or a poll interval since the last walk. */
  walkDue(channel: string): boolean {
    const now = this.now();
    const due =
      this.#asked.has(channel) || now >= (this.#dueAt.get(channel) ?? Infinity) || now - (this.#lastWalk.get(channel) ?? -Infinity) >= this.walkEveryMs;
    if (!due) return false;
    this.#asked.delete(channel);
    this.#dueAt.delete(channel);
    this.#lastWalk.set(channel, now);
    return true;
  }
}
