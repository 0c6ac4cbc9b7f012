import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { packageRoot } from '../../src/package-root.ts';
import type { DecodedMail, ParseContext } from './parse.ts';

/** A ParseContext as it crosses to a worker: plain data, the store named by its folder. */
export interface DecodeJob {
  readonly id: number;
  readonly source: Uint8Array;
  readonly context: Omit<ParseContext, 'store' | 'ownAddresses'> & { readonly storeRoot: string; readonly ownAddresses: readonly string[] };
}

export type DecodeAnswer =
  { readonly id: number; readonly decoded: DecodedMail } | { readonly id: number; readonly error: { readonly message: string; readonly stack?: string } };

interface Pending {
  readonly resolve: (decoded: DecodedMail) => void;
  readonly reject: (error: Error) => void;
}

interface PoolWorker {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
}

/** Workers with nothing to do this long are ended: a mailbox at rest keeps no threads (each costs memory). */
const IDLE_MS = 10_000;

/** The worker's entry: the compiled one in dist/, or the TypeScript source through tsx when Parley runs from its sources (tests, benchmarks). */
function startWorker(): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return new Worker(new URL('./decode-worker-from-source.js', here));
  return new Worker(join(packageRoot(here), 'dist', 'email-decode-worker.js'));
}

/**
 * Decodes mail (decodeMail: MIME, charsets, reply stripping, .eml and attachments written) on
 * worker threads, one per core: decoding is CPU work, and a chunk of 100 mails decoded on the
 * event loop held it for the whole chunk. The answers are the same as decodeMail's, in the
 * caller's order (it awaits each mail's promise), so the channel still stores a chunk in UID order.
 */
export class MailDecodePool {
  /** How many threads decode at most. */
  readonly threads: number;
  readonly #workers: PoolWorker[] = [];
  #nextId = 0;
  #idleTimer: NodeJS.Timeout | undefined;

  constructor(size = Math.min(4, availableParallelism())) {
    this.threads = Math.max(1, size);
  }

  decode(source: Buffer, context: ParseContext): Promise<DecodedMail> {
    clearTimeout(this.#idleTimer);
    const target = this.#leastBusy();
    const id = this.#nextId++;
    // A copy of just this mail's bytes, moved to the worker: the source may be a view into a larger buffer.
    const bytes = new Uint8Array(source);
    const { store, ownAddresses, ...plain } = context;
    const job: DecodeJob = { id, source: bytes, context: { ...plain, storeRoot: store.root, ownAddresses: [...ownAddresses] } };
    return new Promise<DecodedMail>((resolve, reject) => {
      target.pending.set(id, { resolve, reject });
      // Referenced only while it has work: an idle pool never keeps the process alive.
      target.worker.ref();
      target.worker.postMessage(job, [bytes.buffer]);
    });
  }

  /** Ends the workers; mail still being decoded fails. */
  async close(): Promise<void> {
    clearTimeout(this.#idleTimer);
    await Promise.all(this.#workers.splice(0).map((w) => w.worker.terminate()));
  }

  #leastBusy(): PoolWorker {
    const idle = this.#workers.find((w) => w.pending.size === 0);
    if (idle) return idle;
    if (this.#workers.length < this.threads) return this.#add();
    return this.#workers.reduce((best, w) => (w.pending.size < best.pending.size ? w : best));
  }

  #add(): PoolWorker {
    const entry: PoolWorker = { worker: startWorker(), pending: new Map() };
    this.#workers.push(entry);
    entry.worker.on('message', (answer: DecodeAnswer) => {
      const job = entry.pending.get(answer.id);
      if (!job) return;
      entry.pending.delete(answer.id);
      if (entry.pending.size === 0) entry.worker.unref();
      if ('decoded' in answer) job.resolve(answer.decoded);
      else job.reject(Object.assign(new Error(answer.error.message), { stack: answer.error.stack }));
      this.#scheduleIdleEnd();
    });
    const lost = (error: Error) => {
      const at = this.#workers.indexOf(entry);
      if (at >= 0) this.#workers.splice(at, 1);
      for (const job of entry.pending.values()) job.reject(error);
      entry.pending.clear();
    };
    entry.worker.on('error', lost);
    entry.worker.on('exit', (code) => lost(new Error(`the mail decoding thread stopped (exit code ${code})`)));
    return entry;
  }

  #scheduleIdleEnd(): void {
    if (this.#workers.some((w) => w.pending.size > 0)) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => void this.close(), IDLE_MS).unref();
  }
}
