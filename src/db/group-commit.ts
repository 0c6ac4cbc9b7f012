/**
 * Gathers the calls made while the previous group ran (or in one turn of the event loop) and runs them as one unit of work,
 * usually one transaction: many callers, one commit (on SQLite one fsync, on PostgreSQL one
 * WAL flush). Each caller gets its own result; when the unit fails, every caller of the group
 * gets the error and decides for itself (retry, or leave the row for the next round).
 */
export class GroupCommit<In, Out> {
  #queue: { readonly input: In; readonly resolve: (out: Out) => void; readonly reject: (error: unknown) => void }[] = [];
  #scheduled = false;
  /** One group at a time: calls made while it runs (waiting for the database, syncing) join the next one. */
  #running = false;

  constructor(
    /** Runs a group; returns one result per input, in order. */
    private readonly runGroup: (inputs: readonly In[]) => Promise<readonly Out[]>,
    /** Largest group (bounds a transaction's length and a statement's parameters). */
    private readonly maxGroup = 250,
    /**
     * How long a group waits for more calls before it runs (0: the next turn of the event loop).
     * On SQLite a synced commit blocks the event loop for its disk sync, so no call can join a
     * group while the previous one commits: calls spread over time would each pay a sync.
     */
    private readonly gatherMs = 0,
  ) {}

  add(input: In): Promise<Out> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ input, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#running || this.#queue.length === 0) return;
    this.#scheduled = true;
    if (this.gatherMs > 0) setTimeout(() => void this.#flush(), this.gatherMs);
    else setImmediate(() => void this.#flush());
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    this.#running = true;
    const group = this.#queue.splice(0, this.maxGroup);
    try {
      const outs = await this.runGroup(group.map((g) => g.input));
      group.forEach((g, i) => g.resolve(outs[i] as Out));
    } catch (error) {
      for (const g of group) g.reject(error);
    } finally {
      this.#running = false;
      this.#schedule();
    }
  }
}
