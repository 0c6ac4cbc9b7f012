import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** A checkpoint's result, as `PRAGMA wal_checkpoint` gives it: frames in the WAL and frames copied back. */
export interface CheckpointResult {
  readonly busy: number;
  readonly log: number;
  readonly checkpointed: number;
}

export interface WalCheckpointerOptions {
  /** How often the thread checkpoints. */
  readonly intervalMs?: number;
  /** WAL frames (pages) beyond which a checkpoint runs with the writers held, so the WAL can restart from its beginning. */
  readonly maxFrames?: number;
  /** Commits after which a thread is started (none runs while the database is not written). */
  readonly startAfterCommits?: number;
  /** Checkpoints in a row with nothing to copy after which the thread ends, until the next commits. */
  readonly idleCheckpoints?: number;
  /** Runs `work` in a turn of the process's writers (no write commits meanwhile). */
  readonly writersTurn: (work: () => Promise<void>) => Promise<void>;
  /** The thread stopped or a checkpoint failed: the caller should let SQLite checkpoint by itself again. */
  readonly onFailure: (message: string) => void;
}

/**
 * Copies a SQLite database's WAL back into the database file on a thread of its own, with a
 * connection of its own. SQLite otherwise checkpoints inside the commit that takes the WAL past
 * 1,000 pages, on the committing thread: with synchronous = NORMAL that is two fsyncs and a copy
 * of every page on the event loop (strace at 500 webhooks/s: 18 fsyncs and 3,382 page writes in
 * 20 s, about 200 ms during which no webhook was read). The process's connection runs with
 * wal_autocheckpoint = 0 instead.
 *
 * A checkpoint beside a writer never blocks it (PASSIVE). The WAL restarts from its beginning
 * only when a write begins with every frame copied back
 * (https://sqlite.org/wal.html#avoiding_excessively_large_wal_files), which steady commits
 * prevent even when each checkpoint finishes: one lands while it runs. Past `maxFrames`, one
 * checkpoint runs in a writers' turn, which the event loop waits for without blocking
 * (`needsWritersHeld`).
 *
 * A thread costs about 16 MB of memory, so one runs only while the database is written: it
 * starts after `startAfterCommits` commits and ends after `idleCheckpoints` idle checkpoints.
 */
export class WalCheckpointer {
  readonly #workerData: { path: string; library: string; intervalMs: number; maxFrames: number; idleCheckpoints: number };
  readonly #startAfterCommits: number;
  /** Writers' turns held for a checkpoint, each waiting for the thread to say it is done. */
  readonly #heldTurnEnds: (() => void)[] = [];
  #worker: Worker | undefined;
  #commitsWithoutThread = 0;
  #threads = 0;
  #checkpoints = 0;
  #heldTurns = 0;
  #last: CheckpointResult | undefined;
  #closed = false;
  #failed = false;

  constructor(
    databasePath: string,
    private readonly options: WalCheckpointerOptions,
  ) {
    this.#workerData = {
      path: databasePath,
      library: createRequire(import.meta.url).resolve('better-sqlite3'),
      intervalMs: options.intervalMs ?? 1_000,
      maxFrames: options.maxFrames ?? 10_000,
      idleCheckpoints: options.idleCheckpoints ?? 30,
    };
    this.#startAfterCommits = options.startAfterCommits ?? 100;
  }

  /** Counts a commit on the process's connection; starts the thread when enough came. */
  committed(): void {
    if (this.#worker || this.#closed || this.#failed || ++this.#commitsWithoutThread < this.#startAfterCommits) return;
    this.#commitsWithoutThread = 0;
    this.#start();
  }

  /** Threads started, checkpoints made, those made with the writers held, the last result, and whether a thread runs now. */
  stats(): { threads: number; checkpoints: number; heldTurns: number; last: CheckpointResult | undefined; running: boolean } {
    return { threads: this.#threads, checkpoints: this.#checkpoints, heldTurns: this.#heldTurns, last: this.#last, running: this.#worker !== undefined };
  }

  /** Stops the thread after the checkpoint it is running, and closes its connection. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#stop();
  }

  #start(): void {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: this.#workerData });
    this.#worker = worker;
    this.#threads++;
    worker.unref();
    worker.on('error', (error) => this.#fail(`the WAL checkpoint thread stopped: ${error.message}`));
    worker.on('exit', (code) => {
      if (this.#worker === worker) {
        this.#worker = undefined;
        this.#fail(`the WAL checkpoint thread exited (code ${code})`);
      }
      for (const end of this.#heldTurnEnds.splice(0)) end();
    });
    worker.on('message', (message: WorkerMessage) => this.#received(worker, message));
  }

  #received(worker: Worker, message: WorkerMessage): void {
    if (message.kind === 'checkpointed') {
      this.#checkpoints++;
      this.#last = message.result;
    } else if (message.kind === 'hold-writers') {
      void this.options
        .writersTurn(async () => {
          // The thread asked, then ended (it was idle, or failed) before the writers' turn came: nothing to hold for.
          if (this.#worker !== worker) return;
          this.#heldTurns++;
          const done = new Promise<void>((resolve) => this.#heldTurnEnds.push(resolve));
          worker.postMessage('checkpoint-held');
          await done;
        })
        .catch((error: Error) => this.#fail(`a held WAL checkpoint failed: ${error.message}`));
    } else if (message.kind === 'held-done') {
      this.#heldTurnEnds.shift()?.();
    } else if (message.kind === 'idle') {
      void this.#stop();
    } else if (message.kind === 'error') {
      this.#fail(`a WAL checkpoint failed: ${message.message}`);
    }
  }

  /** Reports the first failure and ends the thread for good: SQLite checkpoints by itself from then on (see onFailure). */
  #fail(message: string): void {
    if (this.#failed) return;
    this.#failed = true;
    this.options.onFailure(message);
    void this.#stop();
  }

  async #stop(): Promise<void> {
    const worker = this.#worker;
    if (!worker) return;
    this.#worker = undefined;
    // Held by the event loop until it has ended (it is not while it runs: it never keeps the process alive).
    worker.ref();
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage('stop');
    await exited;
  }
}

type WorkerMessage =
  { kind: 'checkpointed'; result: CheckpointResult } | { kind: 'hold-writers' } | { kind: 'held-done' } | { kind: 'idle' } | { kind: 'error'; message: string };

/**
 * Whether the next checkpoint must hold the writers for the WAL to restart: it is past the limit
 * and still growing (commits keep coming), whether or not this checkpoint copied every frame it
 * found. Holding only after an unfinished one let the WAL grow to 470 MB in 10 s at 1,000
 * messages/s on SQLite (its checkpoints all finished in 8-20 ms, and a commit landed during
 * each), and its fsyncs grew slower with it. A WAL that stopped growing restarts at the next
 * write by itself (everything in it is copied back).
 */
export function needsWritersHeld(result: CheckpointResult, previous: CheckpointResult | undefined, maxFrames: number): boolean {
  return result.log > maxFrames && result.log !== previous?.log;
}

/**
 * The thread's code, plain CommonJS evaluated by the Worker (no module file to locate in dist/ or
 * under tsx). It only checkpoints: it never writes a row.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.library);
const db = new Database(workerData.path, { timeout: 10000 });
let stopped = false;
let holding = false;
let idle = 0;
let previous;
let timer;
const checkpoint = () => db.pragma('wal_checkpoint(PASSIVE)')[0];
const needsWritersHeld = ${String(needsWritersHeld)};
function report(result) {
  parentPort.postMessage({ kind: 'checkpointed', result });
}
function reportError(error) {
  parentPort.postMessage({ kind: 'error', message: String((error && error.message) || error) });
}
function tick() {
  if (stopped) return;
  try {
    const result = checkpoint();
    const unchanged = previous !== undefined && result.log === previous.log && result.checkpointed === previous.checkpointed;
    if (result.checkpointed > 0 && !unchanged) report(result);
    if (!holding && needsWritersHeld(result, previous, workerData.maxFrames)) {
      holding = true;
      parentPort.postMessage({ kind: 'hold-writers' });
    }
    // Nothing committed since the last checkpoint: after enough such checkpoints in a row, the thread is not needed.
    idle = unchanged && !holding ? idle + 1 : 0;
    previous = result;
    if (idle === workerData.idleCheckpoints) parentPort.postMessage({ kind: 'idle' });
  } catch (error) {
    reportError(error);
  }
  timer = setTimeout(tick, workerData.intervalMs);
}
parentPort.on('message', (message) => {
  if (message === 'checkpoint-held') {
    try {
      report(checkpoint());
    } catch (error) {
      reportError(error);
    }
    holding = false;
    parentPort.postMessage({ kind: 'held-done' });
  } else if (message === 'stop') {
    stopped = true;
    clearTimeout(timer);
    db.close();
    parentPort.close();
  }
});
timer = setTimeout(tick, workerData.intervalMs);
`;
