/**
 * Lanes this process just accepted events for, so the processor can claim them by key
 * instead of scanning every pending event for the oldest lanes (on PostgreSQL that scan also
 * walks the dead index entries each handled event leaves until vacuum). The scan still runs
 * at least once per poll interval: it finds lanes other processes accepted or a crash left,
 * and keeps hinted lanes from starving them.
 */
export class LaneHints {
  /** Lane -> events accepted and not yet seen handled. */
  readonly #pending = new Map<string, number>();
  /** Lanes a batch of this process has taken, so two loops never take the same hint. */
  readonly #taken = new Set<string>();
  #lastScan = 0;

  constructor(
    private readonly scanEveryMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  add(lanes: readonly string[]): void {
    for (const lane of lanes) this.#pending.set(lane, (this.#pending.get(lane) ?? 0) + 1);
  }

  /**
   * The lanes the next batch should claim, or undefined when it should scan (none hinted, or
   * the scan is due). Lanes returned are taken until `release`.
   */
  take(limit: number): string[] | undefined {
    const now = this.now();
    if (this.#pending.size === 0 || now - this.#lastScan >= this.scanEveryMs) {
      this.#lastScan = now;
      return undefined;
    }
    const lanes: string[] = [];
    for (const lane of this.#pending.keys()) {
      if (lanes.length >= limit) break;
      if (this.#taken.has(lane)) continue;
      this.#taken.add(lane);
      lanes.push(lane);
    }
    return lanes.length > 0 ? lanes : undefined;
  }

  /** One event of each of these lanes was handled. */
  handled(lanes: readonly string[]): void {
    for (const lane of lanes) {
      const left = (this.#pending.get(lane) ?? 0) - 1;
      if (left > 0) this.#pending.set(lane, left);
      else this.#pending.delete(lane);
    }
  }

  /** Hinted lanes that had no pending event to claim (handled by another process, or held). */
  forget(lanes: readonly string[]): void {
    for (const lane of lanes) this.#pending.delete(lane);
  }

  /** The batch that took these lanes is over. */
  release(taken: readonly string[] | undefined): void {
    for (const lane of taken ?? []) this.#taken.delete(lane);
  }
}
