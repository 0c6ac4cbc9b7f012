import type { Logger } from 'pino';
import { type ChannelAdapter, type Rate, SendError } from '../core/channel.ts';
import { newId } from '../core/ids.ts';
import { type DeliveryStatusUpdate, DeliveryStatusUpdateSchema } from '../core/message.ts';
import type { Database, Prisma as PrismaClient } from '../db/database.ts';
import { Prisma } from '../generated/sqlite/client.ts';
import type { DeliveryStatus } from '../generated/sqlite/enums.ts';
import { retryDelay } from './backoff.ts';
import { optedOutRecipients, recipientKey } from './consent.ts';
import type { Leases } from './leases.ts';
import { OutboxPayloadSchema } from './outbound.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { WorkerLoops } from './worker-loops.ts';

export interface DispatcherOptions {
  readonly batchSize: number;
  readonly loops: number;
  readonly pollIntervalMs: number;
  readonly maxAttempts: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /** PARLEY_RATE_LIMITS: `channel` and `channel:recipient` keys. */
  readonly rateOverrides: Readonly<Record<string, Rate>>;
  readonly workerId: string;
  /** Channels this process can send on; other processes send the rest. */
  readonly channels: () => readonly string[];
  /** When set, only these recipient lanes (`parley chat` speaks for one customer); other processes send the rest. */
  readonly lanes?: readonly string[];
}

export interface DeliveryChange {
  readonly messageId: string;
  readonly conversationId: string;
  readonly status: DeliveryStatus;
  readonly reason?: string;
}

const RANK: Record<DeliveryStatus, number> = { received: 0, pending: 0, sent: 1, delivered: 2, read: 3, failed: 1 };

/** Whether a reported status moves a message forward (statuses can arrive out of order). */
export function advances(current: DeliveryStatus, next: DeliveryStatus): boolean {
  if (next === 'failed') return current !== 'read' && current !== 'failed';
  if (current === 'failed') return false;
  return RANK[next] > RANK[current];
}

const timestampOf = (status: DeliveryStatus, at: Date) =>
  status === 'delivered' ? { deliveredAt: at } : status === 'read' ? { readAt: at } : status === 'sent' ? { sentAt: at } : {};

/**
 * Sends what the outbox holds. Per recipient strictly in order (a message waits while the
 * one before it is retried), across recipients in parallel, within each provider's rates;
 * failures back off exponentially, honour Retry-After, and end as failed with the reason.
 */
export class OutboxDispatcher {
  readonly #loops: WorkerLoops;
  readonly #listeners = new Set<(change: DeliveryChange) => void>();

  constructor(
    private readonly db: Database,
    private readonly leases: Leases,
    private readonly adapterFor: (channel: string) => ChannelAdapter | undefined,
    private readonly limiter: RateLimiter,
    private readonly logger: Logger,
    private readonly options: DispatcherOptions,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.#loops = new WorkerLoops('out', logger, async (holder) => {
      const { attempted, nextDueInMs } = await this.runBatch(holder);
      if (attempted === 0) await this.sweepEarlyStatuses();
      return { busy: attempted > 0, full: attempted >= options.batchSize, idleMs: Math.min(nextDueInMs, options.pollIntervalMs) };
    });
  }

  onDeliveryChange(listener: (change: DeliveryChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  start(): void {
    this.#loops.start(this.options.loops, this.options.workerId);
  }

  stop(): Promise<void> {
    return this.#loops.stop();
  }

  /** New sends were queued: look now instead of at the next poll. */
  notify(): void {
    this.#loops.notify();
  }

  /** Attempts the due head of each free lane once. */
  async runBatch(holder = `${this.options.workerId}/manual`): Promise<{ attempted: number; nextDueInMs: number }> {
    const now = this.now();
    const channels = this.options.channels();
    if (channels.length === 0) return { attempted: 0, nextDueInMs: this.options.pollIntervalMs };
    const heads = await this.db.prisma.$queryRaw<{ laneKey: string; id: string }[]>`
      SELECT "laneKey", MIN("id") AS "id" FROM "OutboxItem"
      WHERE "status" = 'pending' AND "channel" IN (${Prisma.join(channels)}) AND ${this.leases.notHeld(Prisma.sql`"laneKey"`)} ${this.#onlyLanes()}
      GROUP BY "laneKey" ORDER BY MIN("id") LIMIT ${this.options.batchSize}`;
    if (heads.length === 0) return { attempted: 0, nextDueInMs: this.options.pollIntervalMs };
    const items = await this.db.prisma.outboxItem.findMany({
      where: { id: { in: heads.map((h) => h.id) }, status: 'pending' },
      include: { message: { select: { conversationId: true, agent: { select: { name: true } } } } },
    });
    const due = items.filter((i) => i.nextAttemptAt <= now);
    const nextDueInMs = Math.min(
      this.options.pollIntervalMs,
      ...items.filter((i) => i.nextAttemptAt > now).map((i) => i.nextAttemptAt.getTime() - now.getTime()),
    );
    if (due.length === 0) return { attempted: 0, nextDueInMs };
    const owned = new Set(
      await this.leases.claim(
        holder,
        due.map((i) => i.laneKey),
      ),
    );
    try {
      const mine = due.filter((i) => owned.has(i.laneKey));
      const optedOut = await optedOutRecipients(this.db, mine);
      const results = await Promise.all(mine.map((item) => this.#attempt(item, optedOut.has(recipientKey(item.channel, item.recipient)))));
      return { attempted: results.filter(Boolean).length, nextDueInMs };
    } finally {
      await this.leases.release(holder, [...owned]);
    }
  }

  /** Sends every due message, waiting out retries (tests and `parley chat`). */
  async drain(options: { timeoutMs?: number } = {}): Promise<void> {
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    while (Date.now() < deadline) {
      const { attempted, nextDueInMs } = await this.runBatch();
      if (attempted > 0) continue;
      const channels = [...this.options.channels()];
      const lanes = this.options.lanes ? { laneKey: { in: [...this.options.lanes] } } : {};
      if ((await this.db.prisma.outboxItem.count({ where: { status: 'pending', channel: { in: channels }, ...lanes } })) === 0) return;
      await new Promise((r) => setTimeout(r, Math.max(1, Math.min(nextDueInMs, 50))));
    }
  }

  #onlyLanes(): Prisma.Sql {
    const { lanes } = this.options;
    return lanes ? (lanes.length > 0 ? Prisma.sql`AND "laneKey" IN (${Prisma.join(lanes)})` : Prisma.sql`AND 1 = 0`) : Prisma.empty;
  }

  async #attempt(
    item: Prisma.OutboxItemGetPayload<{ include: { message: { select: { conversationId: true; agent: { select: { name: true } } } } } }>,
    recipientOptedOut: boolean,
  ): Promise<boolean> {
    if (recipientOptedOut && !OutboxPayloadSchema.safeParse(item.payload).data?.consentReply) {
      await this.#recordFailure(item, item.attempts + 1, new SendError('recipient opted out', { retryable: false }));
      return true;
    }
    const adapter = this.adapterFor(item.channel);
    const limits = {
      perChannel: this.options.rateOverrides[item.channel] ?? adapter?.capabilities.rateLimits.perChannel,
      perRecipient: this.options.rateOverrides[`${item.channel}:recipient`] ?? adapter?.capabilities.rateLimits.perRecipient,
    };
    let wait = this.limiter.tryTake(item.channel, item.recipient, limits);
    if (wait > 0 && wait <= 1000) {
      await new Promise((r) => setTimeout(r, wait));
      wait = this.limiter.tryTake(item.channel, item.recipient, limits);
    }
    if (wait > 0) return false;
    const attempt = item.attempts + 1;
    try {
      if (!adapter) throw new SendError(`channel ${item.channel} is not running in this process`, { retryable: true });
      const payload = OutboxPayloadSchema.parse(item.payload);
      this.logger.debug({ messageId: item.messageId, channel: item.channel, attempt, text: payload.content.text }, 'outbox: sending');
      const result = await adapter.send({
        messageId: item.messageId,
        conversationId: item.message.conversationId,
        channel: item.channel,
        recipient: item.recipient,
        content: payload.content,
        replyTo: payload.replyTo,
        subject: payload.subject,
        authorName: payload.authorName ?? item.message.agent?.name,
        attempt,
      });
      await this.#recordSent(item, attempt, result.externalId);
    } catch (error) {
      await this.#recordFailure(item, attempt, error);
    }
    return true;
  }

  async #recordSent(
    item: { id: string; messageId: string; channel: string; message: { conversationId: string } },
    attempts: number,
    externalId: string | undefined,
  ): Promise<void> {
    const now = this.now();
    const { channel } = item;
    const early = await this.db.write(async (tx) => {
      await tx.outboxItem.update({ where: { id: item.id }, data: { status: 'sent', attempts, lastError: null } });
      await tx.message.update({ where: { id: item.messageId }, data: { deliveryStatus: 'sent', sentAt: now, externalId: externalId ?? null } });
      return externalId ? tx.earlyDeliveryStatus.findMany({ where: { channel, externalId }, orderBy: { at: 'asc' } }) : [];
    });
    this.#emit({ messageId: item.messageId, conversationId: item.message.conversationId, status: 'sent' });
    await this.#applyEarly(early);
  }

  /**
   * Applies statuses that arrived before their send was recorded. recordSent does this for
   * its own message; the sweep catches a status committed concurrently with that check.
   */
  async sweepEarlyStatuses(): Promise<void> {
    const early = await this.db.prisma.$queryRaw<{ id: string }[]>`
      SELECT e."id" FROM "EarlyDeliveryStatus" e
      JOIN "Message" m ON m."channel" = e."channel" AND m."externalId" = e."externalId" LIMIT 500`;
    if (early.length === 0) return;
    await this.#applyEarly(await this.db.prisma.earlyDeliveryStatus.findMany({ where: { id: { in: early.map((e) => e.id) } }, orderBy: { at: 'asc' } }));
  }

  async #applyEarly(early: { id: string; channel: string; externalId: string; status: DeliveryStatus; reason: string | null; at: Date }[]): Promise<void> {
    if (early.length === 0) return;
    await this.db.run((client) => client.earlyDeliveryStatus.deleteMany({ where: { id: { in: early.map((e) => e.id) } } }));
    for (const e of early) {
      await this.reportStatus({ channel: e.channel, externalId: e.externalId, status: e.status as 'sent', reason: e.reason ?? undefined, at: e.at });
    }
  }

  async #recordFailure(
    item: { id: string; messageId: string; channel: string; recipient: string; message: { conversationId: string } },
    attempt: number,
    error: unknown,
  ): Promise<void> {
    const sendError = error instanceof SendError ? error : new SendError((error as Error)?.message ?? String(error), { retryable: true, cause: error });
    const reason = sendError.code ? `${sendError.code}: ${sendError.message}` : sendError.message;
    const final = !sendError.retryable || attempt >= this.options.maxAttempts;
    if (final) {
      await this.db.write(async (tx) => {
        await tx.outboxItem.update({ where: { id: item.id }, data: { status: 'failed', attempts: attempt, lastError: reason } });
        await tx.message.update({ where: { id: item.messageId }, data: { deliveryStatus: 'failed', failureReason: reason } });
      });
      this.logger.warn({ messageId: item.messageId, channel: item.channel, attempts: attempt, reason }, 'outbox: send failed for good');
      this.#emit({ messageId: item.messageId, conversationId: item.message.conversationId, status: 'failed', reason });
      return;
    }
    const delay = retryDelay(attempt, { baseMs: this.options.backoffBaseMs, maxMs: this.options.backoffMaxMs, retryAfterMs: sendError.retryAfterMs });
    await this.db.run((client) =>
      client.outboxItem.update({
        where: { id: item.id },
        data: { attempts: attempt, lastError: reason, nextAttemptAt: new Date(this.now().getTime() + delay) },
      }),
    );
    this.logger.info({ messageId: item.messageId, channel: item.channel, attempt, retryInMs: delay, reason }, 'outbox: send failed; will retry');
  }

  /** A provider's delivery report. One for a send not yet recorded is kept until it is. */
  async reportStatus(update: DeliveryStatusUpdate): Promise<void> {
    const { channel, externalId, status, reason, at = this.now() } = DeliveryStatusUpdateSchema.parse(update);
    const applied = await this.db.write(async (tx: PrismaClient) => {
      const message = await tx.message.findUnique({
        where: { channel_externalId: { channel, externalId } },
        select: { id: true, conversationId: true, deliveryStatus: true },
      });
      if (!message) {
        await tx.earlyDeliveryStatus.create({ data: { id: newId(), channel, externalId, status, reason: reason ?? null, at } });
        return undefined;
      }
      if (!advances(message.deliveryStatus, status)) return undefined;
      await tx.message.update({
        where: { id: message.id },
        data: { deliveryStatus: status, ...timestampOf(status, at), ...(status === 'failed' ? { failureReason: reason ?? 'failed (no reason given)' } : {}) },
      });
      return { messageId: message.id, conversationId: message.conversationId, status, reason };
    });
    if (applied) this.#emit(applied);
  }

  #emit(change: DeliveryChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (error) {
        this.logger.error({ err: error }, 'outbox: delivery listener failed');
      }
    }
  }
}
