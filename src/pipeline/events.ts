import type { Logger } from 'pino';
import { type DomainEvent, type DomainEventOf, DomainEventSchema, type DomainEventType, eventLane } from '../core/events.ts';
import type { Dialect, Prisma as PrismaClient } from '../db/database.ts';
import { type JobContext, type JobRunner, scheduleJobs } from './jobs.ts';

export type EventSubscriber<T extends DomainEventType> = (event: DomainEventOf<T>, context: JobContext) => Promise<void>;

/**
 * Durable publish/subscribe over the job table: emitting writes one job per subscriber in
 * the emitter's transaction; each subscriber gets each event once it commits, in order per
 * conversation, with retries. Every process registers the same subscribers at start.
 */
export class EventBus {
  readonly #subscribers = new Map<DomainEventType, string[]>();

  constructor(
    private readonly jobs: JobRunner,
    private readonly dialect: Dialect,
    private readonly logger: Logger,
  ) {}

  /** `name` identifies the subscriber durably: keep it stable across versions. */
  subscribe<T extends DomainEventType>(type: T, name: string, subscriber: EventSubscriber<T>): void {
    const kind = `event:${type}:${name}`;
    this.jobs.register(kind, async (job, context) => {
      const parsed = DomainEventSchema.safeParse(job.payload);
      if (!parsed.success) throw new Error(`job ${job.id} holds no valid ${type} event: ${parsed.error.message}`);
      await subscriber(parsed.data as DomainEventOf<T>, context);
    });
    this.#subscribers.set(type, [...(this.#subscribers.get(type) ?? []), kind]);
  }

  /** Jobs were committed: the runner looks now rather than at its next poll. */
  notify(): void {
    this.jobs.notify();
  }

  hasSubscribers(type: DomainEventType): boolean {
    return (this.#subscribers.get(type)?.length ?? 0) > 0;
  }

  /** Call inside the transaction that made the events true. */
  async emit(tx: PrismaClient, events: readonly DomainEvent[], now = new Date()): Promise<void> {
    const drafts = events.flatMap((event) => {
      const valid = DomainEventSchema.parse(event);
      return (this.#subscribers.get(valid.type) ?? []).map((kind) => ({ kind, laneKey: eventLane(valid), payload: valid }));
    });
    if (drafts.length === 0) return;
    this.logger.debug({ events: events.map((e) => e.type), jobs: drafts.length }, 'events emitted');
    await scheduleJobs(tx, this.dialect, drafts, now);
  }
}
