import type { Logger } from 'pino';
import { z } from 'zod';
import { type DomainEvent, type DomainEventOf, DomainEventSchema, type DomainEventType, eventLane } from '../core/events.ts';
import type { Database, Prisma as PrismaClient } from '../db/database.ts';
import { join, queryRows, sql } from '../db/sql.ts';
import { type JobContext, type JobRunner, scheduleJobs } from './jobs.ts';

export type EventSubscriber<T extends DomainEventType> = (event: DomainEventOf<T>, context: JobContext) => Promise<void>;

export interface EventBusOptions {
  /** PARLEY_EVENT_SUBSCRIBER_TTL: a subscriber no process has renewed for this long is dropped. */
  readonly subscriberTtlMs: number;
}

const SubscriptionRowSchema = z.object({ kind: z.string(), eventType: z.string() });

const kindOf = (type: string, subscriber: string) => `event:${type}:${subscriber}`;

/** How often a process renews its subscribers (and drops expired ones): often enough that none expires while it runs. */
const renewIntervalMs = (ttlMs: number) => Math.min(ttlMs / 4, 60 * 60 * 1000);

/**
 * Durable publish/subscribe over the job table. Subscribers are recorded in the database
 * (EventSubscription) by every process that runs them, so emitting writes one job per
 * subscriber known anywhere, not only per subscriber of the emitting process: a hand-off made
 * by `parley chat` reaches the Slack desk another process runs. Each subscriber gets each event
 * once it commits, in order per conversation, with retries; its jobs run in the processes that
 * run it (a job no process handles waits, see JobRunner).
 *
 * A subscriber stays recorded while some process renews it; one no process has run for
 * PARLEY_EVENT_SUBSCRIBER_TTL (a plugin switched off everywhere, a subscriber renamed) is
 * removed and its waiting jobs fail, so nothing queues without bound for a consumer that is
 * gone, while a plugin down for a restart or an outage finds its events waiting.
 */
export class EventBus {
  readonly #subscribers = new Map<DomainEventType, string[]>();
  /** When this process last recorded its subscribers, and whether one subscribed since. */
  #recordedAt = Number.NEGATIVE_INFINITY;
  #unrecorded = false;

  constructor(
    private readonly db: Database,
    private readonly jobs: JobRunner,
    private readonly logger: Logger,
    private readonly options: EventBusOptions,
  ) {
    jobs.addSource('event-subscribers', async (now) => {
      if (this.#unrecorded || now.getTime() - this.#recordedAt >= renewIntervalMs(options.subscriberTtlMs)) await this.record(now);
    });
  }

  /** `name` identifies the subscriber durably: keep it stable across versions. */
  subscribe<T extends DomainEventType>(type: T, name: string, subscriber: EventSubscriber<T>): void {
    const kind = kindOf(type, name);
    this.jobs.register(kind, DomainEventSchema, async (job, context) => {
      if (job.payload.type !== type) throw new Error(`job ${job.id} holds a ${job.payload.type} event, not ${type}`);
      await subscriber(job.payload as DomainEventOf<T>, context);
    });
    this.#subscribers.set(type, [...(this.#subscribers.get(type) ?? []), kind]);
    this.#unrecorded = true;
  }

  /**
   * Records this process's subscribers as running (every process calls it at start, and the
   * job runner renews it), and removes the subscribers no process has renewed within the TTL.
   */
  async record(now = new Date()): Promise<void> {
    // In one order in every process, so two processes recording at once never deadlock.
    const local = [...this.#subscribers].flatMap(([eventType, kinds]) => kinds.map((kind) => ({ kind, eventType }))).sort((a, b) => (a.kind < b.kind ? -1 : 1));
    const cutoff = new Date(now.getTime() - this.options.subscriberTtlMs);
    this.#unrecorded = false;
    const expired = await this.db
      .write(async (tx) => {
        for (const { kind, eventType } of local) {
          await tx.eventSubscription.upsert({ where: { kind }, create: { kind, eventType, seenAt: now }, update: { eventType, seenAt: now } });
        }
        const removed: string[] = [];
        for (const subscription of await tx.eventSubscription.findMany({ where: { seenAt: { lt: cutoff } } })) {
          // Not if another process renewed it meanwhile.
          const { count } = await tx.eventSubscription.deleteMany({ where: { kind: subscription.kind, seenAt: { lt: cutoff } } });
          if (count === 0) continue;
          await tx.job.updateMany({
            where: { kind: subscription.kind, status: 'pending' },
            data: { status: 'failed', doneAt: now, lastError: `no process has run subscriber ${subscription.kind} since ${subscription.seenAt.toISOString()}` },
          });
          removed.push(subscription.kind);
        }
        return removed;
      })
      .catch((error: unknown) => {
        this.#unrecorded = true;
        throw error;
      });
    this.#recordedAt = now.getTime();
    if (expired.length > 0)
      this.logger.warn({ subscribers: expired }, 'event subscribers no process ran within PARLEY_EVENT_SUBSCRIBER_TTL removed; their waiting events failed');
  }

  /** Jobs were committed: the runner looks now rather than at its next poll. */
  notify(): void {
    this.jobs.notify();
  }

  /** Call inside the transaction that made the events true. */
  async emit(tx: PrismaClient, events: readonly DomainEvent[], now = new Date()): Promise<void> {
    if (events.length === 0) return;
    const valid = events.map((event) => DomainEventSchema.parse(event));
    const kindsOf = await this.#subscribersOf(tx, [...new Set(valid.map((e) => e.type))]);
    const drafts = valid.flatMap((event) => (kindsOf.get(event.type) ?? []).map((kind) => ({ kind, laneKey: eventLane(event), payload: event })));
    if (drafts.length === 0) return;
    this.logger.debug({ events: events.map((e) => e.type), jobs: drafts.length }, 'events emitted');
    await scheduleJobs(tx, this.db.dialect, drafts, now);
  }

  /**
   * This process's subscribers and then those recorded by other processes, per event type.
   * Jobs of one conversation run in the order they are written, so a subscriber sees what
   * the ones before it did (the AI summary is stored before the Slack card is posted).
   */
  async #subscribersOf(tx: PrismaClient, types: readonly DomainEventType[]): Promise<Map<string, string[]>> {
    const rows = await queryRows(tx, sql`SELECT "kind", "eventType" FROM "EventSubscription" WHERE "eventType" IN (${join(types)}) ORDER BY "kind"`);
    const kinds = new Map<string, Set<string>>(types.map((type) => [type, new Set(this.#subscribers.get(type))]));
    for (const row of rows) {
      const { kind, eventType } = SubscriptionRowSchema.parse(row);
      kinds.get(eventType)?.add(kind);
    }
    return new Map([...kinds].map(([type, set]) => [type, [...set]]));
  }
}
