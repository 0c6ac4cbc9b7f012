/**
 * An async lock: callers of run() execute one at a time, in call order, except that a call
 * made with `ahead` goes before every call still waiting (in order among such calls).
 */
export class Mutex {
  #busy = false;
  readonly #waiting: (() => void)[] = [];
  /** How many of the waiting calls, at the front, were made with `ahead`. */
  #aheadWaiting = 0;

  run<T>(fn: () => Promise<T>, options: { ahead?: boolean } = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        Promise.resolve()
          .then(fn)
          .then(resolve, reject)
          .finally(() => this.#next());
      };
      if (!this.#busy) {
        this.#busy = true;
        start();
      } else if (options.ahead) this.#waiting.splice(this.#aheadWaiting++, 0, start);
      else this.#waiting.push(start);
    });
  }

  #next(): void {
    const next = this.#waiting.shift();
    if (this.#aheadWaiting > 0) this.#aheadWaiting--;
    if (next) next();
    else this.#busy = false;
  }
}
