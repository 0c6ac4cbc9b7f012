import type { Entry } from './protocol.ts';

type Listener = (entries: readonly Entry[]) => void;

/** The pages connected in this process, by address: new transcript entries are pushed to them. */
export class Hub {
  readonly #listeners = new Map<string, Set<Listener>>();
  /** The last transcript position pushed per connected address (for the catch-up sweep). */
  readonly #last = new Map<string, number>();

  listen(address: string, listener: Listener): () => void {
    let set = this.#listeners.get(address);
    if (!set) this.#listeners.set(address, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) {
        this.#listeners.delete(address);
        this.#last.delete(address);
      }
    };
  }

  publish(address: string, entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const listeners = this.#listeners.get(address);
    if (!listeners) return;
    this.#last.set(address, Math.max(this.#last.get(address) ?? 0, ...entries.map((e) => e.seq)));
    for (const listener of listeners) listener(entries);
  }

  /** Connected addresses and the last position pushed to them (undefined: none yet). */
  connected(): [string, number | undefined][] {
    return [...this.#listeners.keys()].map((address) => [address, this.#last.get(address)]);
  }

  /** Records where an address stands without pushing anything. */
  mark(address: string, seq: number): void {
    if (this.#listeners.has(address)) this.#last.set(address, Math.max(this.#last.get(address) ?? 0, seq));
  }
}
