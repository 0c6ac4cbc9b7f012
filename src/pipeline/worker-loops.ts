import type { Logger } from 'pino';

export interface LoopRound {
  /** Whether the round did work (then the next round starts at once). */
  readonly busy: boolean;
  /** How long to sleep when idle, unless notified sooner. */
  readonly idleMs: number;
  /** The round took as much as it may: more work is likely waiting, so another loop joins in. */
  readonly full?: boolean;
}

/**
 * N concurrent loops that each run rounds of work until stopped, sleeping when idle until
 * notify() or their idle time. Each loop gets its own holder id for leases.
 */
export class WorkerLoops {
  #running = false;
  #loops: Promise<void>[] = [];
  readonly #wakers = new Set<() => void>();
  #pendingWake = false;

  constructor(
    private readonly name: string,
    private readonly logger: Logger,
    private readonly round: (holder: string) => Promise<LoopRound>,
  ) {}

  start(count: number, workerId: string): void {
    if (this.#running) return;
    this.#running = true;
    for (let i = 0; i < count; i++) this.#loops.push(this.#loop(`${workerId}/${this.name}${i}`));
  }

  /** Stops taking work and waits for the rounds in flight to finish. */
  async stop(): Promise<void> {
    this.#running = false;
    for (const wake of this.#wakers) wake();
    await Promise.all(this.#loops);
    this.#loops = [];
  }

  /**
   * New work exists: one idle loop looks now instead of at its next poll. Waking them all
   * would send every loop to claim the same few rows; a loop that finds work wakes the next.
   */
  notify(): void {
    const [wake] = this.#wakers;
    if (wake) wake();
    else this.#pendingWake = true;
  }

  async #loop(holder: string): Promise<void> {
    while (this.#running) {
      let result: LoopRound = { busy: false, idleMs: 1000 };
      try {
        result = await this.round(holder);
      } catch (error) {
        this.logger.error({ err: error }, `${this.name}: round failed; it will be retried`);
      }
      if (result.full) this.notify();
      if (!result.busy && this.#running) await this.#sleep(result.idleMs);
    }
  }

  #sleep(ms: number): Promise<void> {
    if (this.#pendingWake) {
      this.#pendingWake = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wakers.delete(done);
        this.#pendingWake = false;
        resolve();
      };
      const timer = setTimeout(done, Math.max(1, ms));
      this.#wakers.add(done);
    });
  }
}
