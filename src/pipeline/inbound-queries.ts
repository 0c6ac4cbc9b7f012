import type { Database, Dialect } from '../db/database.ts';
import { bulkInsert, bulkInsertStatement, type ColumnKind } from '../db/bulk-insert.ts';
import { decodeRows, empty, execute, inList, join, queryRows, raw, type ReadKind, type Sql, sql } from '../db/sql.ts';
import type { ChannelIdentity, Conversation, Customer, InboxEvent } from '../generated/sqlite/client.ts';
import type { Leases } from './leases.ts';
import { pendingEvent, statusStill } from './queue-rows.ts';
import { MESSAGE_COLUMNS, type MessageRow, OUTBOX_COLUMNS, type OutboxRow } from './outbound.ts';
import { CONVERSATION, CUSTOMER, IDENTITY, INBOX_EVENT, NEW_CONVERSATION, NEW_CUSTOMER, NEW_IDENTITY, type Columns } from '../db/columns.ts';

/**
 * The inbound processor's reads and bookkeeping writes as raw SQL: a batch's claim, its
 * customers and conversations, and marking it handled. These run on every batch, so they
 * avoid Prisma's per-call cost (see src/db/sql.ts) and, on PostgreSQL, round trips.
 *
 * Every model's column list is checked against the generated model type, so a column added
 * to the schema without being added here fails the typecheck instead of going missing.
 */

/** What a batch writes besides its handlers' own writes (see commitBatch). */
export interface BatchRows {
  readonly customers: readonly Customer[];
  readonly identities: readonly ChannelIdentity[];
  readonly conversations: readonly Conversation[];
  readonly messages: readonly MessageRow[];
  readonly outbox: readonly OutboxRow[];
  readonly eventIds: readonly string[];
  readonly conversationIds: readonly string[];
  readonly customerIds: readonly string[];
  readonly holder: string;
  readonly lanes: readonly string[];
}

// Columns a new customer, identity or conversation is written with; the others take their defaults.

const kindsOf = (columns: Columns<object>) => Object.fromEntries(Object.entries(columns).filter(([, kind]) => kind !== 'text')) as Record<string, ReadKind>;
const selectList = (alias: string, columns: Columns<object>, prefix = '') =>
  raw(
    Object.keys(columns)
      .map((c) => `${alias}."${c}" AS "${prefix}${c}"`)
      .join(', '),
  );
const prefixed = (columns: Columns<object>, prefix: string) =>
  Object.fromEntries(Object.entries(kindsOf(columns)).map(([c, kind]) => [`${prefix}${c}`, kind])) as Record<string, ReadKind>;

/** Picks the columns that start with `prefix` out of a joined row, without it. */
function unprefix<T>(row: Record<string, unknown>, columns: Columns<object>, prefix: string): T {
  return Object.fromEntries(Object.keys(columns).map((c) => [c, row[`${prefix}${c}`]])) as T;
}

export class InboundQueries {
  readonly #dialect: Dialect;

  constructor(
    private readonly db: Database,
    private readonly leases: Leases,
  ) {
    this.#dialect = db.dialect;
  }

  /**
   * Takes the oldest pending event of up to `limit` lanes nobody holds (of `onlyLanes` when
   * given), leases those lanes to `holder` and returns the events, oldest first. On
   * PostgreSQL this is one statement.
   */
  async claimHeads(holder: string, limit: number, onlyLanes?: readonly string[]): Promise<{ events: InboxEvent[]; lanes: string[] }> {
    const among = onlyLanes ? sql`AND ${inList(this.#dialect, sql`"laneKey"`, onlyLanes)}` : empty;
    const heads = sql`SELECT "laneKey", MIN("id") AS "id" FROM "InboxEvent"
      WHERE ${pendingEvent()} ${among} AND ${this.leases.notHeld(sql`"laneKey"`)}
      GROUP BY "laneKey" ORDER BY MIN("id") LIMIT ${limit}`;
    if (this.#dialect === 'postgresql') {
      const { now, until } = this.leases.term();
      const rows = await queryRows(
        this.db.prisma,
        sql`WITH heads AS (${heads}),
        claimed AS (
          INSERT INTO "Lease" ("key", "holder", "untilMs") SELECT "laneKey", ${holder}::text, ${until}::bigint FROM heads
          ON CONFLICT ("key") DO UPDATE SET "holder" = excluded."holder", "untilMs" = excluded."untilMs"
          WHERE "Lease"."untilMs" < ${now}::bigint OR "Lease"."holder" = excluded."holder"
          RETURNING "key")
        SELECT ${selectList('e', INBOX_EVENT)}, c."key" AS "claimedLane" FROM claimed c
        LEFT JOIN heads h ON h."laneKey" = c."key"
        LEFT JOIN "InboxEvent" e ON e."id" = h."id"
        ORDER BY e."id"`,
      );
      const lanes = rows.map((r) => r.claimedLane as string);
      // The heads were read pending in this statement's snapshot: the check is the same as the one below.
      const events = rows.filter((r) => r.id !== null && r.status === 'pending').map(({ claimedLane: _, ...event }) => event);
      return { events: decodeRows<InboxEvent>(this.#dialect, events, kindsOf(INBOX_EVENT)), lanes };
    }
    const candidates = await queryRows(this.db.prisma, heads);
    if (candidates.length === 0) return { events: [], lanes: [] };
    const lanes = await this.leases.claim(
      holder,
      candidates.map((h) => h.laneKey as string),
    );
    const owned = new Set(lanes);
    const ids = candidates.filter((h) => owned.has(h.laneKey as string)).map((h) => h.id as string);
    // By key only, the status checked here: with a condition on the status the planner may read
    // them through the queue's index instead, and PostgreSQL did, its statistics of the index
    // taken while the queue was empty: a scan of the backlog for every lane (100-118 ms a claim
    // at 1,000 webhooks/s on a 100,000-customer history).
    const rows = await this.#select(sql`SELECT ${selectList('e', INBOX_EVENT)} FROM "InboxEvent" e
      WHERE ${inList(this.#dialect, sql`e."id"`, ids)} ORDER BY e."id"`);
    const events = rows.filter((r) => r.status === 'pending');
    return { events: decodeRows<InboxEvent>(this.#dialect, events, kindsOf(INBOX_EVENT)), lanes };
  }

  /** Identities with these normalized addresses (any channel), each with its customer. */
  async identitiesWithCustomers(addresses: readonly string[]): Promise<(ChannelIdentity & { customer: Customer })[]> {
    const rows = await this.#select(sql`SELECT ${selectList('i', IDENTITY, 'i_')}, ${selectList('c', CUSTOMER, 'c_')}
      FROM "ChannelIdentity" i JOIN "Customer" c ON c."id" = i."customerId"
      WHERE ${inList(this.#dialect, sql`i."address"`, addresses)}`);
    decodeRows(this.#dialect, rows, { ...prefixed(IDENTITY, 'i_'), ...prefixed(CUSTOMER, 'c_') });
    return rows.map((row) => ({ ...unprefix<ChannelIdentity>(row, IDENTITY, 'i_'), customer: unprefix<Customer>(row, CUSTOMER, 'c_') }));
  }

  /** These customers' conversations that are open or were resolved since `resolvedSince`, latest first. */
  async openOrRecentConversations(customerIds: readonly string[], resolvedSince: Date): Promise<Conversation[]> {
    const rows = await this.#select(sql`SELECT ${selectList('v', CONVERSATION)} FROM "Conversation" v
      WHERE ${inList(this.#dialect, sql`v."customerId"`, customerIds)}
        AND (v."status" <> 'resolved' OR v."resolvedAt" >= ${resolvedSince})
      ORDER BY v."lastMessageAt" DESC`);
    return decodeRows<Conversation>(this.#dialect, rows, kindsOf(CONVERSATION));
  }

  /**
   * In the batch's transaction, the rows every batch writes: the customers, identities and
   * conversations it met first, its messages and sends, its events marked done, its
   * conversations and customers touched, and its leases given up. Returns how many events
   * were still pending (fewer than given means another worker handled some: roll back).
   * On PostgreSQL all of it is one statement (foreign keys are checked at its end).
   */
  async commitBatch(tx: Database['prisma'], batch: BatchRows, now: Date): Promise<number> {
    const d = this.#dialect;
    const inserts: [string, Columns<object> | Record<string, ColumnKind>, readonly { id: string }[]][] = [
      ['Customer', NEW_CUSTOMER, batch.customers],
      ['ChannelIdentity', NEW_IDENTITY, batch.identities],
      ['Conversation', NEW_CONVERSATION, batch.conversations],
      ['Message', MESSAGE_COLUMNS, batch.messages],
      ['OutboxItem', OUTBOX_COLUMNS, batch.outbox],
    ];
    const done = sql`UPDATE "InboxEvent" SET "status" = 'done', "processedAt" = ${now}
      WHERE ${inList(d, sql`"id"`, batch.eventIds)} AND ${statusStill('pending')}`;
    const touch = [
      sql`UPDATE "Conversation" SET "lastMessageAt" = ${now} WHERE ${inList(d, sql`"id"`, batch.conversationIds)}`,
      sql`UPDATE "Customer" SET "lastSeenAt" = ${now}, "updatedAt" = ${now} WHERE ${inList(d, sql`"id"`, batch.customerIds)}`,
      this.leases.releaseStatement(batch.holder, batch.lanes),
    ];
    if (d === 'postgresql') {
      const parts = [
        ...touch,
        ...inserts
          .filter(([, , rows]) => rows.length > 0)
          .map(([table, columns, rows]) => bulkInsertStatement(d, table, columns as Record<string, ColumnKind>, rows)),
      ];
      const [row] = await queryRows(
        tx,
        sql`WITH done AS (${done} RETURNING 1), ${join(
          parts.map((part, i) => sql`${raw(`w${i}`)} AS (${part})`),
          ', ',
        )} SELECT count(*)::int AS "count" FROM done`,
      );
      return Number(row?.count ?? 0);
    }
    const count = await execute(tx, done);
    for (const statement of touch) await execute(tx, statement);
    for (const [table, columns, rows] of inserts) await bulkInsert(tx, d, table, columns as Record<string, ColumnKind>, rows);
    return count;
  }

  #select(query: Sql): Promise<Record<string, unknown>[]> {
    return queryRows(this.db.prisma, query);
  }
}
