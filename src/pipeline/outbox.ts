import type { Logger } from 'pino';
import { type ChannelAdapter, type Rate, SendError } from '../core/channel.ts';
import { newId } from '../core/ids.ts';
import { type DeliveryStatusUpdate, DeliveryStatusUpdateSchema } from '../core/message.ts';
import type { Database, Dialect, Prisma as PrismaClient } from '../db/database.ts';
import { Prisma } from '../generated/sqlite/client.ts';
import type { AuthorKind, DeliveryStatus } from '../generated/sqlite/enums.ts';
import { Semaphore } from '../core/semaphore.ts';
import { GroupCommit } from '../db/group-commit.ts';
import { decodeRows, empty, execute, inList, queryRows, raw, type ReadKind, type Sql, sql, valueRows } from '../db/sql.ts';
import { OUTBOX_ITEM } from '../db/columns.ts';
import { retryDelay } from './backoff.ts';
import { DeadlineExceeded, withDeadline } from './deadline.ts';
import { formatZodIssues } from './inbox.ts';
import type { Leases } from './leases.ts';
import { OutboxHints } from './outbox-hints.ts';
import { OutboxPayloadSchema } from './outbound.ts';
import { sendingItem, statusStill, unsentItem, unsentItemCount, waitingItem } from './queue-rows.ts';
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
  /** Recipients (lanes) of one channel sent to at once (PARLEY_SEND_CONCURRENCY). */
  readonly laneConcurrency: number;
  /** Deadline of one provider call on a channel (PARLEY_SEND_TIMEOUTS). */
  readonly sendTimeoutMs: (channel: string) => number;
  /**
   * Database statements the sends of this process run at once. Below the connection pool
   * (10 on PostgreSQL), so a large batch never queues transactions until they time out and
   * inbound work keeps connections of its own.
   */
  readonly dbConcurrency: number;
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

type OutboxItem = Prisma.OutboxItemGetPayload<{
  include: { message: { select: { conversationId: true; authorKind: true; agent: { select: { name: true } } } } };
}> & {
  /** The recipient's identity on the channel has opted out (read with the row, under the lane's lease). */
  readonly recipientOptedOut: boolean;
};

const OUTBOX_SELECT_LIST = raw(
  Object.keys(OUTBOX_ITEM)
    .map((c) => `o."${c}"`)
    .join(', '),
);
const OUTBOX_READ_KINDS = Object.fromEntries(Object.entries(OUTBOX_ITEM).filter(([, kind]) => kind !== 'text')) as Record<string, ReadKind>;
/** With the lane reads' `followed` column (outboxRows). */
const OUTBOX_READ_KINDS_FOLLOWED: Record<string, ReadKind> = { ...OUTBOX_READ_KINDS, followed: 'boolean' };

/** Lease keys grouped by their holder: lease statements take one holder each. */
function keysByHolder(leases: Iterable<{ readonly holder: string; readonly key: string }>): Map<string, string[]> {
  const byHolder = new Map<string, string[]>();
  for (const { holder, key } of leases) {
    const keys = byHolder.get(holder);
    if (keys) keys.push(key);
    else byHolder.set(holder, [key]);
  }
  return byHolder;
}

/** A row to send now: due, or `sending` (a send cut short, to be resolved under the lease). */
const isDue = (item: OutboxItem, now: Date): boolean => item.status === 'sending' || item.nextAttemptAt <= now;

/** The result of a provider call whose recording failed, kept to record it again. */
type Unrecorded =
  | { readonly kind: 'sent'; readonly attempt: number; readonly externalId: string | undefined }
  | { readonly kind: 'failed'; readonly attempt: number; readonly error: unknown };

/** A send the provider accepted, to be recorded with its message. */
interface SentRecord {
  readonly id: string;
  readonly messageId: string;
  readonly channel: string;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly externalId: string | undefined;
  readonly at: Date;
}

/** A send's result or a lane's end, written down together with others (see `#finish`). */
type Finished = { readonly kind: 'sent'; readonly record: SentRecord } | { readonly kind: 'released'; readonly holder: string; readonly key: string };

type EarlyStatus = { id: string; channel: string; externalId: string; status: DeliveryStatus; reason: string | null; at: Date };

/** Attempts at writing down a send's result before giving up until the lane's next round. */
const RECORD_ATTEMPTS = 8;
const RECORD_BACKOFF_MS = { baseMs: 100, maxMs: 5_000 };

/** How long the `sending` marks of sends starting one after the other wait to share a commit (the disk sync of SQLite takes milliseconds). */
const SENDING_MARKS_GATHER_MS = 4;

/** Pending rows the head walk reads per lane head it looks for (lanes usually hold a reply or two). */
const HEAD_WALK_ROWS_PER_HEAD = 4;

/** How soon a hinted lane found held by another process is looked for again (a provider call takes 0.1-0.5 s). */
const HELD_LANE_RECHECK_MS = 250;

/** How a lane's next row is found after its send: claimed by key (seen waiting), by a walk (not known), or not at all (seen none). */
type LaneNext = 'hint' | 'walk' | 'none';

/** What the row of a send that may have gone out twice says. */
export const MAY_ARRIVE_TWICE = 'the customer may get it twice';

/**
 * Outbox rows with what a send needs of their message (and, with `followed`, whether an unsent
 * row of the same lane follows each). `where` names the rows by id only: a condition on the
 * status would let the planner read them through a queue index instead, which PostgreSQL did
 * whenever its statistics of that index were taken while the queue was nearly empty: a scan of
 * the whole backlog per query (174-302 ms at a backlog of 6,000 rows). Callers check the status.
 */
export function outboxRows(where: Sql, read: { followed?: boolean } = {}): Sql {
  const followed = read.followed
    ? sql`, EXISTS (SELECT 1 FROM "OutboxItem" y WHERE y."laneKey" = o."laneKey" AND ${unsentItem('y')} AND y."id" > o."id") AS "followed"`
    : empty;
  return sql`SELECT ${OUTBOX_SELECT_LIST},
      m."conversationId" AS "messageConversationId", m."authorKind" AS "messageAuthorKind", a."name" AS "messageAgentName",
      i."optedOutAt" AS "recipientOptedOutAt" ${followed}
    FROM "OutboxItem" o JOIN "Message" m ON m."id" = o."messageId" LEFT JOIN "Agent" a ON a."id" = m."agentId"
    LEFT JOIN "ChannelIdentity" i ON i."channel" = o."channel" AND i."address" = o."recipient"
    WHERE ${where} ORDER BY o."id"`;
}

/**
 * `where` of outboxRows for the oldest unsent row of each of these lanes: a seek of the lane
 * index per lane. (Reading every unsent row of the lane instead made a backlog of n rows cost
 * n + (n - 1) + ... rows to send.)
 */
export function laneHeads(dialect: Dialect, lanes: readonly string[]): Sql {
  return sql`o."id" IN (SELECT (SELECT x."id" FROM "OutboxItem" x WHERE x."laneKey" = l.value AND ${unsentItem('x')} ORDER BY x."id" LIMIT 1)
    FROM ${valueRows(dialect, lanes)} l)`;
}

/**
 * Sends what the outbox holds. Per recipient strictly in order (a message waits while the
 * one before it is retried); each recipient is a lane sending on its own, up to
 * `laneConcurrency` lanes per channel, so a slow recipient or provider holds only its lanes.
 * Within each provider's rates; failures back off exponentially, honour Retry-After, and end
 * as failed with the reason.
 *
 * At most one delivery short of a crash in the provider's ack window: a row is marked
 * `sending` (with its attempt number) before the provider call, and the call's result is
 * recorded separately, with retries of its own, so bookkeeping never repeats a send. A row
 * found `sending` with no live lease was cut short by a crash, and a call past its deadline
 * was cut short too: neither WhatsApp nor Twilio can be asked whether it went out, so it is
 * sent again (nothing is lost) and the row says the customer may get it twice; a provider
 * that deduplicates by message id (`idempotentSends`) makes that harmless. Leases of lanes in
 * flight are renewed while they send, so no other process takes a send over.
 */
export class OutboxDispatcher {
  readonly #loops: WorkerLoops;
  readonly #listeners = new Set<(change: DeliveryChange) => void>();
  /** Lanes sending now, by lane key, with when each one's lease was last confirmed (claimed or renewed; epoch ms of the leases' clock). */
  readonly #lanes = new Map<string, { readonly channel: string; readonly holder: string; readonly done: Promise<boolean>; leaseConfirmedAt: number }>();
  readonly #unrecorded = new Map<string, Unrecorded>();
  readonly #dbSlots: Semaphore;
  /** `sending` marks of the sends starting together, one commit for all (see GroupCommit). */
  readonly #markSending: GroupCommit<{ id: string; attempt: number }, boolean>;
  /**
   * What sends that ended together leave to write down: results of the calls that came back and
   * leases of the lanes that are done, one commit for all (they came one after the other in two
   * commits: a lane's result, then its lease).
   */
  readonly #finish: GroupCommit<Finished, EarlyStatus[]>;
  /** Next heads of lanes whose sends ended together, read with one query for all (a query per lane cost more than the commits it saved). */
  readonly #nextHeads: GroupCommit<string, { readonly head: OutboxItem | undefined; readonly followed: boolean }>;
  #stopping = false;
  #heartbeat: NodeJS.Timeout | undefined;
  #renewing = false;
  /**
   * Due lane heads read by the last head query of each channel and not started yet. A send that
   * ends frees one slot; reading every lane's head again for it cost a scan of the whole queue
   * per send (the top of the profile under load). The next heads are taken from here instead,
   * oldest first as read, until none is left or they are `pollIntervalMs` old. A head taken
   * here is still claimed and read again under its lease before it is sent.
   */
  readonly #heads = new Map<string, { readonly items: OutboxItem[]; readonly readAt: number; readonly nextDueAt: number }>();
  readonly #hints: OutboxHints;

  constructor(
    private readonly db: Database,
    private readonly leases: Leases,
    private readonly adapterFor: (channel: string) => ChannelAdapter | undefined,
    private readonly limiter: RateLimiter,
    private readonly logger: Logger,
    private readonly options: DispatcherOptions,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.#dbSlots = new Semaphore(options.dbConcurrency);
    this.#hints = new OutboxHints(options.pollIntervalMs, () => this.now().getTime());
    // Sends start one by one as lanes free up; their marks are synced commits, gathered for a few ms.
    this.#markSending = new GroupCommit((marks) => this.#dbSlots.run(() => this.#writeSendingMarks(marks)), undefined, SENDING_MARKS_GATHER_MS);
    this.#finish = new GroupCommit((finished) => this.#dbSlots.run(() => this.#writeFinished(finished)));
    this.#nextHeads = new GroupCommit(async (lanes) => {
      const { heads, followed } = await this.#dbSlots.run(() => this.#headsOfLanes(lanes));
      const byLane = new Map(heads.map((h) => [h.laneKey, h]));
      return lanes.map((lane) => ({ head: byLane.get(lane), followed: followed.has(lane) }));
    });
    this.#loops = new WorkerLoops('out', logger, async (holder) => {
      const { started, nextDueInMs } = await this.#launch(holder);
      if (started.length === 0 && this.#lanes.size === 0) await this.sweepEarlyStatuses();
      return { busy: started.length > 0, idleMs: Math.min(nextDueInMs, options.pollIntervalMs) };
    });
  }

  onDeliveryChange(listener: (change: DeliveryChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  start(): void {
    this.#loops.start(this.options.loops, this.options.workerId);
  }

  /** Stops taking work and waits for the sends in flight (each bounded by its deadline). */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#loops.stop();
    await Promise.allSettled([...this.#lanes.values()].map((lane) => lane.done));
  }

  /** New sends were queued (on these lanes, when this process queued them): look now instead of at the next poll. */
  notify(sends: readonly { channel: string; laneKey: string }[] = []): void {
    const { lanes } = this.options;
    if (sends.length === 0) this.#hints.ask(this.options.channels());
    this.#hints.add(lanes ? sends.filter((s) => lanes.includes(s.laneKey)) : sends);
    this.#loops.notify();
  }

  /** Attempts the due head of each free lane once and waits for those attempts. */
  async runBatch(holder = `${this.options.workerId}/manual`): Promise<{ attempted: number; nextDueInMs: number }> {
    const { started, nextDueInMs } = await this.#launch(holder);
    const results = await Promise.all(started);
    return { attempted: results.filter(Boolean).length, nextDueInMs };
  }

  /** Sends every due message, waiting out retries (tests and `parley chat`). */
  async drain(options: { timeoutMs?: number } = {}): Promise<void> {
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    while (Date.now() < deadline) {
      const { attempted, nextDueInMs } = await this.runBatch();
      if (attempted > 0) continue;
      if ((await this.unsentCount({ channels: [...this.options.channels()], lanes: this.options.lanes })) === 0) return;
      await new Promise((r) => setTimeout(r, Math.max(1, Math.min(nextDueInMs, 50))));
    }
  }

  /** Rows not sent yet (of these channels, of these lanes, when given). */
  unsentCount(among: { channels?: readonly string[]; lanes?: readonly string[] } = {}): Promise<number> {
    return unsentItemCount(this.db, among);
  }

  /**
   * Claims the due heads of free lanes, channel by channel, and starts sending them: first the
   * lanes this process queued sends on (hints), then, when due, the heads a walk of the queue finds.
   */
  async #launch(holder: string): Promise<{ started: Promise<boolean>[]; nextDueInMs: number }> {
    const started: Promise<boolean>[] = [];
    let nextDueInMs = this.options.pollIntervalMs;
    for (const channel of this.options.channels()) {
      const free = () => this.options.laneConcurrency - [...this.#lanes.values()].filter((lane) => lane.channel === channel).length;
      const hinted = this.#hints.take(channel, free(), (lane) => this.#lanes.has(lane));
      if (hinted.length > 0) {
        const owned = await this.#dbSlots.run(() => this.leases.claim(holder, hinted));
        // A hinted lane another process is sending on: walk again shortly, when its send is likely done, not a poll interval later.
        if (owned.length < hinted.length) this.#hints.dueIn(channel, HELD_LANE_RECHECK_MS);
        // Read under the lease: the lane's oldest unsent row, which may be older than the hinted send.
        const { heads, followed } = owned.length === 0 ? { heads: [], followed: new Set<string>() } : await this.#dbSlots.run(() => this.#headsOfLanes(owned));
        const now = this.now();
        await this.#startClaimed(
          holder,
          owned,
          heads.filter((i) => isDue(i, now)),
          started,
          (lane) => (followed.has(lane) ? 'hint' : 'none'),
        );
      }
      if (free() <= 0 || !this.#hints.walkDue(channel)) {
        nextDueInMs = Math.min(nextDueInMs, this.#hints.msUntilDue(channel));
        continue;
      }
      const { due, nextDueInMs: channelNext } = await this.#readHeads(channel);
      this.#hints.dueIn(channel, channelNext);
      nextDueInMs = Math.min(nextDueInMs, channelNext);
      const candidates = due.filter((item) => !this.#lanes.has(item.laneKey)).slice(0, free());
      this.#forgetHeads(channel, candidates);
      if (candidates.length === 0) continue;
      const owned = await this.#dbSlots.run(() =>
        this.leases.claim(
          holder,
          candidates.map((i) => i.laneKey),
        ),
      );
      // Read again under the lease: between the head query and the claim, another process may
      // have sent and recorded a head (its lease already released). Deciding on the stale
      // `sending` state would take that send for one cut short by a crash and repeat it.
      const ownedSet = new Set(owned);
      const claimed = candidates.filter((i) => ownedSet.has(i.laneKey)).map((i) => i.id);
      const mine = claimed.length === 0 ? [] : await this.#dbSlots.run(() => this.#rowsStillDue(claimed));
      // Whether these lanes have more rows is not known: the queue is walked again after each.
      await this.#startClaimed(holder, owned, mine, started, () => 'walk');
    }
    return { started, nextDueInMs };
  }

  /**
   * Starts the lanes of `mine` (read under their leases) and gives up the leases of the other
   * lanes claimed. `next` says how each lane's next row is found once its send is done.
   */
  async #startClaimed(
    holder: string,
    owned: readonly string[],
    mine: readonly OutboxItem[],
    started: Promise<boolean>[],
    next: (lane: string) => LaneNext,
  ): Promise<void> {
    const notMine = owned.filter((key) => !mine.some((i) => i.laneKey === key));
    if (notMine.length > 0) await this.#dbSlots.run(() => this.leases.release(holder, notMine));
    for (const item of mine) started.push(this.#startLane(holder, item, item.recipientOptedOut, next(item.laneKey)));
  }

  /** The due heads left from the channel's last head query, or a new query's when none are left or they are old. */
  async #readHeads(channel: string): Promise<{ due: OutboxItem[]; nextDueInMs: number }> {
    const now = this.now().getTime();
    const known = this.#heads.get(channel);
    if (known) {
      // Lanes this process started since are not heads any more (their next row is read with the next query).
      const items = known.items.filter((item) => !this.#lanes.has(item.laneKey));
      if (items.length > 0 && now - known.readAt < this.options.pollIntervalMs) {
        this.#heads.set(channel, { ...known, items });
        return { due: items, nextDueInMs: Math.max(0, known.nextDueAt - now) };
      }
    }
    const read = await this.#dueHeads(channel);
    this.#heads.set(channel, { items: read.due, readAt: now, nextDueAt: now + read.nextDueInMs });
    return read;
  }

  #forgetHeads(channel: string, taken: readonly OutboxItem[]): void {
    const known = this.#heads.get(channel);
    if (!known || taken.length === 0) return;
    const gone = new Set(taken);
    this.#heads.set(channel, { ...known, items: known.items.filter((item) => !gone.has(item)) });
  }

  /** SQL: only the configured lanes (`parley chat`), when there are any. */
  #onlyLanes(): Prisma.Sql {
    const { lanes } = this.options;
    return lanes ? (lanes.length > 0 ? Prisma.sql`AND "laneKey" IN (${Prisma.join(lanes)})` : Prisma.sql`AND 1 = 0`) : Prisma.empty;
  }

  async #rowsStillDue(ids: readonly string[]): Promise<OutboxItem[]> {
    const now = this.now();
    const rows = await this.#unsentRows(ids);
    return rows.filter((i) => isDue(i, now));
  }

  /** The rows among `ids` still pending or sending, with what a send needs of their message, oldest first (one query: it runs every round). */
  async #unsentRows(ids: readonly string[]): Promise<OutboxItem[]> {
    const rows = await this.#rowsWhere(inList(this.db.dialect, sql`o."id"`, ids));
    return rows.filter((row) => row.status === 'pending' || row.status === 'sending');
  }

  /**
   * The oldest unsent row of each of these lanes, and the lanes with more unsent rows behind it
   * (one query: two seeks of the lane index per lane, which reaches a lane's unsent rows without
   * its sent ones).
   */
  async #headsOfLanes(lanes: readonly string[]): Promise<{ heads: OutboxItem[]; followed: Set<string> }> {
    const heads = await this.#rowsWhere(laneHeads(this.db.dialect, lanes), { followed: true });
    return { heads, followed: new Set(heads.filter((h) => h.followed).map((h) => h.laneKey)) };
  }

  async #rowsWhere(where: Prisma.Sql, read: { followed?: boolean } = {}): Promise<(OutboxItem & { followed?: boolean })[]> {
    const { dialect } = this.db;
    const rows = await queryRows(this.db.prisma, outboxRows(where, read));
    return decodeRows<Record<string, unknown>>(dialect, rows, read.followed ? OUTBOX_READ_KINDS_FOLLOWED : OUTBOX_READ_KINDS).map((row) => {
      const { messageConversationId, messageAuthorKind, messageAgentName, recipientOptedOutAt, followed: laneFollowed, ...item } = row;
      const agentName = messageAgentName as string | null;
      return {
        ...(item as Omit<OutboxItem, 'message' | 'recipientOptedOut'>),
        recipientOptedOut: recipientOptedOutAt !== null && recipientOptedOutAt !== undefined,
        message: {
          conversationId: messageConversationId as string,
          authorKind: messageAuthorKind as AuthorKind,
          agent: agentName === null ? null : { name: agentName },
        },
        ...(read.followed ? { followed: laneFollowed === true } : {}),
      };
    });
  }

  /**
   * The first row of each free lane of a channel, oldest first, if it is due (a `sending` row
   * always is: it needs reconciling). Only a lane's head is ever marked `sending`, so those rows
   * are heads; and walking the pending rows oldest first, the first row met of a lane is its
   * head. The walk reads a few rows per head, however long the queue; a GROUP BY over the whole
   * queue cost a scan of it per round. When the walk met only lanes waiting for a retry, every
   * lane's head is read instead, so that those never hide the lanes behind them.
   */
  async #dueHeads(channel: string): Promise<{ due: OutboxItem[]; nextDueInMs: number }> {
    const now = this.now();
    const walk = await this.#dbSlots.run(() => this.#walkHeads(channel));
    const found = await this.#dueAmong(walk.ids, now);
    if (found.due.length > 0 || !walk.partial) return found;
    return this.#dueAmong(await this.#dbSlots.run(() => this.#allHeads(channel)), now);
  }

  async #walkHeads(channel: string): Promise<{ ids: string[]; partial: boolean }> {
    const free = sql`"channel" = ${channel} AND ${this.leases.notHeld(sql`"laneKey"`)} ${this.#onlyLanes()}`;
    const { batchSize } = this.options;
    const walked = batchSize * HEAD_WALK_ROWS_PER_HEAD;
    const sending = await queryRows(
      this.db.prisma,
      sql`SELECT "laneKey", "id" FROM "OutboxItem" WHERE ${sendingItem()} AND ${free} ORDER BY "id" LIMIT ${batchSize}`,
    );
    const pending = await queryRows(
      this.db.prisma,
      sql`SELECT "laneKey", "id" FROM "OutboxItem" WHERE ${waitingItem()} AND ${free} ORDER BY "id" LIMIT ${walked}`,
    );
    const heads = new Map<string, string>();
    for (const row of [...sending, ...pending]) if (!heads.has(row.laneKey as string)) heads.set(row.laneKey as string, row.id as string);
    return { ids: [...heads.values()].sort().slice(0, batchSize), partial: pending.length === walked };
  }

  /** Every free lane's head, from a scan of the channel's whole queue. */
  async #allHeads(channel: string): Promise<string[]> {
    const heads = await queryRows(
      this.db.prisma,
      sql`
      SELECT "laneKey", MIN("id") AS "id" FROM "OutboxItem"
      WHERE ${unsentItem()} AND "channel" = ${channel} AND ${this.leases.notHeld(Prisma.sql`"laneKey"`)} ${this.#onlyLanes()}
      GROUP BY "laneKey" ORDER BY MIN("id") LIMIT ${this.options.batchSize}`,
    );
    return heads.map((h) => h.id as string);
  }

  async #dueAmong(ids: readonly string[], now: Date): Promise<{ due: OutboxItem[]; nextDueInMs: number }> {
    if (ids.length === 0) return { due: [], nextDueInMs: this.options.pollIntervalMs };
    const items = await this.#dbSlots.run(() => this.#unsentRows(ids));
    const nextDueInMs = Math.min(this.options.pollIntervalMs, ...items.filter((i) => !isDue(i, now)).map((i) => i.nextAttemptAt.getTime() - now.getTime()));
    return { due: items.filter((i) => isDue(i, now)), nextDueInMs };
  }

  /** Sends one lane's head on its own; the lease is renewed while it runs and released after. */
  #startLane(holder: string, item: OutboxItem, optedOut: boolean, next: LaneNext): Promise<boolean> {
    const done = this.#runLane(holder, item, optedOut, next);
    this.#lanes.set(item.laneKey, { channel: item.channel, holder, done, leaseConfirmedAt: this.leases.term().now });
    this.#startHeartbeat();
    return done;
  }

  /**
   * Sends the lane's head and, while the lane is seen to hold more rows, its next heads under the
   * same lease: giving the lease up and claiming it again cost two commits per reply. Then the
   * lease goes, and the lane's next row, if any, is left to a hint or a walk.
   */
  async #runLane(holder: string, head: OutboxItem, headOptedOut: boolean, headNext: LaneNext): Promise<boolean> {
    const { channel, laneKey } = head;
    let [item, optedOut, next] = [head, headOptedOut, headNext];
    let attemptedAny = false;
    for (;;) {
      const attempted = await this.#sendHead(item, optedOut).catch((error: unknown) => {
        this.logger.error({ err: error, messageId: item.messageId, channel, lane: laneKey }, 'outbox: lane failed; it will be tried again');
        return false;
      });
      attemptedAny ||= attempted;
      if (!attempted || next !== 'hint' || this.#stopping || !this.#leaseSurelyHeld(laneKey)) break;
      const following = await this.#nextHeads.add(laneKey).catch((error: unknown) => {
        this.logger.warn({ err: error, lane: laneKey }, "outbox: could not read the lane's next row; it is claimed again");
        return undefined;
      });
      if (!following) break;
      const { head: nextHead } = following;
      // None left, or a retry not due yet (its due time is known: see #recordFailure).
      if (!nextHead || !isDue(nextHead, this.now())) {
        next = 'none';
        break;
      }
      [item, optedOut, next] = [nextHead, nextHead.recipientOptedOut, following.followed ? 'hint' : 'none'];
    }
    await this.#finish.add({ kind: 'released', holder, key: laneKey }).catch((error: unknown) => {
      this.logger.warn({ err: error, lane: laneKey }, 'outbox: lease release failed; it expires by itself');
    });
    this.#lanes.delete(laneKey);
    if (this.#lanes.size === 0) this.#stopHeartbeat();
    // A head not attempted (rate limit, changed row) stays pending for the next round's walk;
    // waking a loop for it now would only meet the same limit again.
    if (!attemptedAny) this.#hints.ask([channel]);
    else {
      // The lane's next message may be waiting: claimed by key when the lane was seen to have one, else found by a walk.
      if (next === 'hint') this.#hints.add([{ channel, laneKey }]);
      else if (next === 'walk') this.#hints.ask([channel]);
      this.#loops.notify();
    }
    return attemptedAny;
  }

  /**
   * Whether the lane's lease is certainly still this process's: confirmed less than half its
   * life ago. A lane goes on to its next row only then; otherwise (renewals failing, the event
   * loop held) it gives the lease up and claims the lane again, which checks.
   */
  #leaseSurelyHeld(laneKey: string): boolean {
    return this.leases.term().now - (this.#lanes.get(laneKey)?.leaseConfirmedAt ?? -Infinity) < this.leases.ttl / 2;
  }

  /** Renews the leases of all lanes in flight, one statement per holder, well before they run out. */
  #startHeartbeat(): void {
    if (this.#heartbeat) return;
    this.#heartbeat = setInterval(() => void this.#renewLeases(), Math.max(10, Math.floor(this.leases.ttl / 3)));
    this.#heartbeat.unref();
  }

  #stopHeartbeat(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  async #renewLeases(): Promise<void> {
    if (this.#renewing) return;
    this.#renewing = true;
    try {
      for (const [holder, keys] of keysByHolder([...this.#lanes].map(([key, lane]) => ({ holder: lane.holder, key })))) {
        const renewed = new Set(await this.leases.renew(holder, keys));
        const { now: at } = this.leases.term();
        for (const key of renewed) {
          const lane = this.#lanes.get(key);
          if (lane) lane.leaseConfirmedAt = at;
        }
        const lost = keys.filter((k) => !renewed.has(k) && this.#lanes.has(k));
        if (lost.length > 0) this.logger.error({ lanes: lost }, 'outbox: lease of a lane in flight was taken by another process');
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'outbox: lease renewal failed; retrying at the next beat');
    } finally {
      this.#renewing = false;
    }
  }

  /** One attempt at a lane's head. False when it was not attempted (rate limit, or the row changed). */
  async #sendHead(item: OutboxItem, recipientOptedOut: boolean): Promise<boolean> {
    const adapter = this.adapterFor(item.channel);
    if (item.status === 'sending') {
      await this.#reconcile(item, adapter);
      return true;
    }
    const parsed = OutboxPayloadSchema.safeParse(item.payload);
    if (!parsed.success) {
      const reason = `outbox row ${item.id} has an invalid payload: ${formatZodIssues(parsed.error)}`;
      await this.#recordFailure(item, item.attempts + 1, new SendError(reason, { retryable: false }));
      return true;
    }
    const payload = parsed.data;
    if (recipientOptedOut && !payload.consentReply) {
      await this.#recordFailure(item, item.attempts + 1, new SendError('recipient opted out', { retryable: false }));
      return true;
    }
    if (!adapter) {
      await this.#recordFailure(item, item.attempts + 1, new SendError(`channel ${item.channel} is not running in this process`, { retryable: true }));
      return true;
    }
    if (!(await this.#takeRateToken(item, adapter))) return false;
    const attempt = item.attempts + 1;
    if (!(await this.#markSending.add({ id: item.id, attempt }))) return false;
    const timeoutMs = this.options.sendTimeoutMs(item.channel);
    this.logger.debug({ messageId: item.messageId, channel: item.channel, attempt, text: payload.content.text }, 'outbox: sending');
    let externalId: string | undefined;
    try {
      const result = await withDeadline(timeoutMs, (signal) =>
        adapter.send({
          messageId: item.messageId,
          conversationId: item.message.conversationId,
          channel: item.channel,
          recipient: item.recipient,
          content: payload.content,
          replyTo: payload.replyTo,
          subject: payload.subject,
          authorName: payload.authorName ?? item.message.agent?.name,
          authorKind: item.message.authorKind,
          attempt,
          signal,
        }),
      );
      externalId = result.externalId;
    } catch (error) {
      if (error instanceof DeadlineExceeded) {
        await this.#outcomeUnknown(item, attempt, adapter, `${item.channel} gave no answer within ${timeoutMs} ms (PARLEY_SEND_TIMEOUTS)`);
      } else {
        await this.#recordOrKeep(item, { kind: 'failed', attempt, error });
      }
      return true;
    }
    await this.#recordOrKeep(item, { kind: 'sent', attempt, externalId });
    return true;
  }

  async #takeRateToken(item: OutboxItem, adapter: ChannelAdapter): Promise<boolean> {
    const limits = {
      perChannel: this.options.rateOverrides[item.channel] ?? adapter.capabilities.rateLimits.perChannel,
      perRecipient: this.options.rateOverrides[`${item.channel}:recipient`] ?? adapter.capabilities.rateLimits.perRecipient,
    };
    let wait = this.limiter.tryTake(item.channel, item.recipient, limits);
    if (wait > 0 && wait <= 1000) {
      await new Promise((r) => setTimeout(r, wait));
      wait = this.limiter.tryTake(item.channel, item.recipient, limits);
    }
    return wait === 0;
  }

  /**
   * A `sending` row whose lane was free: this process still knows the result when only its
   * recording failed; otherwise the process that made the call stopped during it.
   */
  async #reconcile(item: OutboxItem, adapter: ChannelAdapter | undefined): Promise<void> {
    const known = this.#unrecorded.get(item.id);
    if (known) {
      await this.#recordOrKeep(item, known);
      return;
    }
    await this.#outcomeUnknown(item, item.attempts, adapter, `the process making attempt ${item.attempts} stopped before its result was recorded`);
  }

  /**
   * Policy for a send that may have happened (a crash or the deadline cut the call short):
   * nothing is lost, so it is sent again. Where the provider deduplicates by message id that is
   * harmless; elsewhere the row says the customer may get it twice, and keeps saying so once sent.
   */
  async #outcomeUnknown(item: OutboxItem, attempt: number, adapter: ChannelAdapter | undefined, why: string): Promise<void> {
    const reason = adapter?.idempotentSends
      ? `${why}; sent again under the same idempotency key`
      : `${why}; ${item.channel} cannot be asked whether it was sent, so it is sent again: ${MAY_ARRIVE_TWICE}`;
    this.logger.warn({ messageId: item.messageId, channel: item.channel, attempt, reason }, 'outbox: send outcome unknown; sending again');
    await this.#recordOrKeep(item, { kind: 'failed', attempt, error: new SendError(reason, { retryable: true }) });
  }

  /**
   * Records a provider call's result. When the database keeps refusing, the result stays in
   * memory and the row stays `sending`: the lane's next round records it from there.
   */
  async #recordOrKeep(item: OutboxItem, result: Unrecorded): Promise<void> {
    try {
      if (result.kind === 'sent') await this.#recordSent(item, result.attempt, result.externalId);
      else await this.#recordFailure(item, result.attempt, result.error);
      this.#unrecorded.delete(item.id);
    } catch (error) {
      this.#unrecorded.set(item.id, result);
      this.logger.error(
        { err: error, messageId: item.messageId, channel: item.channel, result: result.kind },
        'outbox: could not record a send result; kept to record later',
      );
    }
  }

  /** Runs a bookkeeping write in a database slot, retrying with backoff: the send it records is never repeated for its sake. */
  async #withRetries<T>(what: string, write: () => Promise<T>, options: { inSlot: boolean } = { inSlot: true }): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        // A grouped write takes its slot itself, once for the whole group.
        return await (options.inSlot ? this.#dbSlots.run(write) : write());
      } catch (error) {
        if (attempt >= RECORD_ATTEMPTS) throw error;
        const delay = retryDelay(attempt, RECORD_BACKOFF_MS);
        this.logger.warn({ err: error, attempt, retryInMs: delay }, `outbox: could not ${what}; retrying`);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  async #recordSent(item: OutboxItem, attempts: number, externalId: string | undefined): Promise<void> {
    // A send that may have gone out twice says so for good; other errors of earlier attempts are over.
    const lastError = item.lastError?.includes(MAY_ARRIVE_TWICE) ? item.lastError : null;
    const record: SentRecord = { id: item.id, messageId: item.messageId, channel: item.channel, attempts, lastError, externalId, at: this.now() };
    const early = await this.#withRetries('record a sent message', () => this.#finish.add({ kind: 'sent', record }), { inSlot: false });
    this.#emit({ messageId: item.messageId, conversationId: item.message.conversationId, status: 'sent' });
    await this.#applyEarly(early);
  }

  /**
   * Marks rows `sending` (each only if still pending) in one synced commit; true for each row
   * marked. On PostgreSQL one statement (one round trip, no transaction around it); on SQLite
   * one transaction of prepared statements.
   */
  async #writeSendingMarks(marks: readonly { id: string; attempt: number }[]): Promise<boolean[]> {
    const now = this.now();
    if (this.db.dialect === 'postgresql') {
      const rows = await queryRows(
        this.db.prisma,
        sql`UPDATE "OutboxItem" o SET "status" = 'sending', "attempts" = m."attempt", "updatedAt" = ${now}
        FROM jsonb_to_recordset(${JSON.stringify(marks)}::jsonb) AS m("id" text, "attempt" integer)
        WHERE o."id" = m."id" AND ${statusStill('pending', 'o')} RETURNING o."id"`,
      );
      const marked = new Set(rows.map((r) => r.id as string));
      return marks.map((m) => marked.has(m.id));
    }
    return this.db.write(async (tx) => {
      const marked: boolean[] = [];
      for (const { id, attempt } of marks) {
        const changes = await execute(
          tx,
          sql`UPDATE "OutboxItem" SET "status" = 'sending', "attempts" = ${attempt}, "updatedAt" = ${now} WHERE "id" = ${id} AND ${statusStill('pending')}`,
        );
        marked.push(changes > 0);
      }
      return marked;
    });
  }

  /**
   * Records sends as sent with their messages and gives up the leases of lanes that are done;
   * returns each send's early delivery statuses (none for a lease). Not synced to disk: a record
   * lost in a power cut leaves the row `sending`, which is reconciled as a send cut short (sent
   * again, the row saying so), never lost; a lost release just expires. On PostgreSQL one statement.
   */
  async #writeFinished(finished: readonly Finished[]): Promise<EarlyStatus[][]> {
    const records = finished.flatMap((f) => (f.kind === 'sent' ? [f.record] : []));
    const releases = finished.flatMap((f) => (f.kind === 'released' ? [{ holder: f.holder, key: f.key }] : []));
    const externalIds = records.flatMap((r) => (r.externalId ? [r.externalId] : []));
    const channels = [...new Set(records.flatMap((r) => (r.externalId ? [r.channel] : [])))];
    // By (channel, externalId), the key of its index: statuses for sends never recorded stay in the table.
    const early = sql`SELECT "id", "channel", "externalId", "status", "reason", "at" FROM "EarlyDeliveryStatus"
      WHERE ${inList(this.db.dialect, sql`"channel"`, channels)} AND ${inList(this.db.dialect, sql`"externalId"`, externalIds)} ORDER BY "at"`;
    const rows = await this.db.unsynced(async (tx) => {
      if (this.db.dialect === 'postgresql') {
        const json = JSON.stringify(records.map((r) => ({ ...r, at: r.at.toISOString(), externalId: r.externalId ?? null })));
        return queryRows(
          tx,
          sql`WITH r AS (SELECT * FROM jsonb_to_recordset(${json}::jsonb)
            AS r("id" text, "messageId" text, "attempts" integer, "lastError" text, "externalId" text, "at" timestamp(3))),
          o AS (UPDATE "OutboxItem" o SET "status" = 'sent', "attempts" = r."attempts", "lastError" = r."lastError", "updatedAt" = r."at"
            FROM r WHERE o."id" = r."id" RETURNING 1),
          m AS (UPDATE "Message" m SET "deliveryStatus" = 'sent', "sentAt" = r."at", "externalId" = r."externalId"
            FROM r WHERE m."id" = r."messageId" RETURNING 1),
          l AS (DELETE FROM "Lease" l USING jsonb_to_recordset(${JSON.stringify(releases)}::jsonb) AS e("holder" text, "key" text)
            WHERE l."key" = e."key" AND l."holder" = e."holder" RETURNING 1)
          ${early}`,
        );
      }
      for (const r of records) {
        await execute(
          tx,
          sql`UPDATE "OutboxItem" SET "status" = 'sent', "attempts" = ${r.attempts}, "lastError" = ${r.lastError}, "updatedAt" = ${r.at} WHERE "id" = ${r.id}`,
        );
        await execute(
          tx,
          sql`UPDATE "Message" SET "deliveryStatus" = 'sent', "sentAt" = ${r.at}, "externalId" = ${r.externalId ?? null} WHERE "id" = ${r.messageId}`,
        );
      }
      for (const [holder, keys] of keysByHolder(releases)) await execute(tx, this.leases.releaseStatement(holder, keys));
      return externalIds.length === 0 ? [] : queryRows(tx, early);
    });
    const statuses = decodeRows<EarlyStatus>(this.db.dialect, rows, { at: 'timestamp' });
    return finished.map((f) => (f.kind === 'sent' ? statuses.filter((e) => e.channel === f.record.channel && e.externalId === f.record.externalId) : []));
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

  async #recordFailure(item: OutboxItem, attempt: number, error: unknown): Promise<void> {
    const sendError = error instanceof SendError ? error : new SendError((error as Error)?.message ?? String(error), { retryable: true, cause: error });
    const reason = sendError.code ? `${sendError.code}: ${sendError.message}` : sendError.message;
    const final = !sendError.retryable || attempt >= this.options.maxAttempts;
    if (final) {
      await this.#withRetries('record a failed send', () =>
        this.db.write(async (tx) => {
          await tx.outboxItem.update({ where: { id: item.id }, data: { status: 'failed', attempts: attempt, lastError: reason } });
          await tx.message.update({ where: { id: item.messageId }, data: { deliveryStatus: 'failed', failureReason: reason } });
        }),
      );
      this.logger.warn({ messageId: item.messageId, channel: item.channel, attempts: attempt, reason }, 'outbox: send failed for good');
      this.#emit({ messageId: item.messageId, conversationId: item.message.conversationId, status: 'failed', reason });
      return;
    }
    const delay = retryDelay(attempt, { baseMs: this.options.backoffBaseMs, maxMs: this.options.backoffMaxMs, retryAfterMs: sendError.retryAfterMs });
    await this.#withRetries('record a retry', () =>
      this.db.run((client) =>
        client.outboxItem.update({
          where: { id: item.id },
          data: { status: 'pending', attempts: attempt, lastError: reason, nextAttemptAt: new Date(this.now().getTime() + delay) },
        }),
      ),
    );
    this.#hints.dueIn(item.channel, delay);
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
        // Providers retry webhooks: the same status for the same id is kept once.
        const known = await tx.earlyDeliveryStatus.findFirst({ where: { channel, externalId, status }, select: { id: true } });
        if (known) return undefined;
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
