import type { Logger } from 'pino';
import type { z } from 'zod';
import { newId, newIdAt } from '../core/ids.ts';
import { bulkInsert } from '../db/bulk-insert.ts';
import type { Database, Dialect, Prisma as PrismaClient } from '../db/database.ts';
import type { Job } from '../generated/sqlite/client.ts';
import { retryDelay } from './backoff.ts';
import type { Leases } from './leases.ts';
import { WorkerLoops } from './worker-loops.ts';
import { JOB_COLUMNS } from '../db/columns.ts';

export interface JobDraft {
  readonly kind: string;
  /**
   * Jobs of one lane run one at a time, oldest first. The lane is also a lease key: use a
   * customer's inbound lane (inboundLaneKey) to exclude their message handling meanwhile.
   */
  readonly laneKey: string;
  readonly payload: unknown;
  readonly runAt?: Date;
  /** When set, a second job with the same key is silently not created. */
  readonly dedupKey?: string;
  /**
   * Where the job joins its lane (default now): a lane runs its jobs in this order. A job
   * made late for something scheduled earlier (a session timer that became due) gives the
   * time it was scheduled, and runs where a job made then would have.
   */
  readonly queuedAt?: Date;
}

export interface JobContext {
  /** The job being run: a stable key for effects that must happen once per job. */
  readonly jobId: string;
  readonly db: Database;
  readonly logger: Logger;
  readonly now: Date;
  /**
   * Runs writes in one transaction that also marks the job done, so the job's effects and
   * its completion commit together. Without it the job is marked done after it returns.
   */
  write(fn: (tx: PrismaClient) => Promise<void>): Promise<void>;
}

/** A job whose payload its kind's schema has read (payloads come back from the database as JSON). */
export type ParsedJob<T> = Readonly<Omit<Job, 'payload'>> & { readonly payload: T };
export type JobHandler<T = unknown> = (job: ParsedJob<T>, context: JobContext) => Promise<void>;

interface Registration {
  readonly schema: z.ZodType;
  readonly handler: JobHandler<never>;
}

/**
 * Turns work scheduled elsewhere that is due by `now` into jobs (flow session timers): the
 * runner asks every source at the start of each round, so what it schedules with `runAt` at
 * most `now` runs that round.
 */
export type JobSource = (now: Date) => Promise<void>;

/** Stores jobs in the caller's transaction; returns the ids created (deduplicated ones are not). */
export async function scheduleJobs(tx: PrismaClient, dialect: Dialect, drafts: readonly JobDraft[], now = new Date()): Promise<string[]> {
  if (drafts.length === 0) return [];
  const rows = drafts.map((d) => ({
    id: d.queuedAt ? newIdAt(d.queuedAt) : newId(),
    kind: d.kind,
    laneKey: d.laneKey,
    payload: d.payload ?? {},
    runAt: d.runAt ?? now,
    dedupKey: d.dedupKey ?? null,
    createdAt: now,
  }));
  return bulkInsert(tx, dialect, 'Job', JOB_COLUMNS, rows, { skipConflictsOn: ['dedupKey'] });
}

export interface JobRunnerOptions {
  readonly batchSize: number;
  readonly pollIntervalMs: number;
  readonly maxAttempts: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly workerId: string;
}

/**
 * Runs due jobs with their registered handlers. A failing job is retried with backoff and
 * ends failed with its error after the last attempt; an error carrying `retryAfterMs` (rate
 * limited) delays the job at least that long without using up an attempt; a job whose kind no handler claims
 * waits (another process, or a later version, may run it).
 */
export class JobRunner {
  readonly #handlers = new Map<string, Registration>();
  readonly #sources = new Map<string, JobSource>();
  readonly #loops: WorkerLoops;

  constructor(
    private readonly db: Database,
    private readonly leases: Leases,
    private readonly logger: Logger,
    private readonly options: JobRunnerOptions,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.#loops = new WorkerLoops('jobs', logger, async (holder) => {
      const ran = await this.runDue(holder);
      return { busy: ran > 0, full: ran >= options.batchSize, idleMs: options.pollIntervalMs };
    });
  }

  /**
   * The handler of a job kind, with the schema of its payload: a job whose payload does not
   * fit fails at once with the reason (retrying cannot change stored data).
   */
  register<S extends z.ZodType>(kind: string, payload: S, handler: JobHandler<z.output<S>>): void {
    if (this.#handlers.has(kind)) throw new Error(`a handler for job kind "${kind}" is already registered`);
    this.#handlers.set(kind, { schema: payload, handler: handler as JobHandler<never> });
  }

  /** Adds a source of due work (see JobSource); a failing source is logged and asked again next round. */
  addSource(name: string, source: JobSource): void {
    if (this.#sources.has(name)) throw new Error(`a job source named "${name}" is already added`);
    this.#sources.set(name, source);
  }

  start(): void {
    this.#loops.start(1, this.options.workerId);
  }

  stop(): Promise<void> {
    return this.#loops.stop();
  }

  notify(): void {
    this.#loops.notify();
  }

  /** Runs the due head job of each free lane once; returns how many ran. */
  async runDue(holder = `${this.options.workerId}/jobs-manual`): Promise<number> {
    const now = this.now();
    const kinds = [...this.#handlers.keys()];
    if (kinds.length === 0) return 0;
    for (const [name, source] of this.#sources) {
      try {
        await source(now);
      } catch (error) {
        this.logger.error({ err: error, source: name }, 'job source failed; it is asked again next round');
      }
    }
    const due = await this.db.prisma.job.findMany({
      where: { status: 'pending', runAt: { lte: now }, kind: { in: kinds } },
      orderBy: { id: 'asc' },
      take: this.options.batchSize,
    });
    if (due.length === 0) return 0;
    // Strict order within a lane: only a lane's oldest pending job may run.
    const lanes = [...new Set(due.map((j) => j.laneKey))];
    const heads = await this.db.prisma.job.groupBy({ by: ['laneKey'], where: { status: 'pending', laneKey: { in: lanes } }, _min: { id: true } });
    const headIds = new Set(heads.map((h) => h._min.id));
    const runnable = due.filter((j) => headIds.has(j.id));
    // The lane is the lease key: a job on a customer's inbound lane ("in:...") never runs
    // while that customer's messages are being handled, and the other way round.
    const owned = new Set(
      await this.leases.claim(
        holder,
        runnable.map((j) => j.laneKey),
      ),
    );
    const mine = runnable.filter((j) => owned.has(j.laneKey));
    try {
      await Promise.all(mine.map((job) => this.#run(job, now)));
    } finally {
      await this.leases.release(
        holder,
        mine.map((j) => j.laneKey),
      );
    }
    return mine.length;
  }

  /** Runs due jobs until none is left (tests, fake clocks). */
  async drain(): Promise<number> {
    let total = 0;
    for (let ran = await this.runDue(); ran > 0; ran = await this.runDue()) total += ran;
    return total;
  }

  async #run(job: Job, now: Date): Promise<void> {
    const registration = this.#handlers.get(job.kind);
    if (!registration) return;
    const logger = this.logger.child({ job: job.id, kind: job.kind });
    const payload = registration.schema.safeParse(job.payload);
    if (!payload.success) {
      const reason = `job ${job.id} (${job.kind}) holds an invalid payload: ${payload.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; ')}`;
      await this.db.run((client) =>
        client.job.update({ where: { id: job.id }, data: { status: 'failed', doneAt: now, attempts: { increment: 1 }, lastError: reason } }),
      );
      logger.error({ reason }, 'job failed for good: invalid payload');
      return;
    }
    let completed = false;
    const markDone = (tx: PrismaClient) => tx.job.update({ where: { id: job.id }, data: { status: 'done', doneAt: now, attempts: { increment: 1 } } });
    try {
      await (registration.handler as JobHandler<unknown>)(
        { ...job, payload: payload.data },
        {
          jobId: job.id,
          db: this.db,
          logger,
          now,
          write: async (fn) => {
            await this.db.write(async (tx) => {
              await fn(tx);
              await markDone(tx);
            });
            completed = true;
          },
        },
      );
      if (!completed) await this.db.run((client) => markDone(client));
    } catch (error) {
      const reason = (error as Error).message;
      const retryAfterMs = (error as { retryAfterMs?: unknown }).retryAfterMs;
      if (typeof retryAfterMs === 'number' && retryAfterMs >= 0) {
        // Rate limited (e.g. SendError with Retry-After): wait as told; not a failed attempt.
        await this.db.run((client) => client.job.update({ where: { id: job.id }, data: { lastError: reason, runAt: new Date(now.getTime() + retryAfterMs) } }));
        logger.info({ retryInMs: retryAfterMs, reason }, 'job rate limited; will retry');
        return;
      }
      const attempts = job.attempts + 1;
      const final = attempts >= this.options.maxAttempts;
      const runAt = new Date(now.getTime() + retryDelay(attempts, { baseMs: this.options.backoffBaseMs, maxMs: this.options.backoffMaxMs }));
      await this.db.run((client) =>
        client.job.update({
          where: { id: job.id },
          data: { attempts, lastError: reason, ...(final ? { status: 'failed', doneAt: now } : { runAt }) },
        }),
      );
      logger[final ? 'error' : 'warn']({ err: error, attempts }, final ? 'job failed for good' : 'job failed; will retry');
    }
  }
}

export { JOB_COLUMNS };
