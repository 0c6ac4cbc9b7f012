import type { Database } from '../db/database.ts';
import { empty, inList, queryRows, raw, type Sql, sql } from '../db/sql.ts';

/*
 * The rows the queue indexes hold: the `where` of the partial indexes on InboxEvent and
 * OutboxItem (prisma/schema.prisma). Handled events and sent or failed rows leave them, so they
 * stay as small as the backlog instead of growing with every message ever handled, and a commit
 * rewrites a few of their pages instead of one page a row. SQLite uses a partial index only for a
 * query that states its condition in the same words (https://sqlite.org/partialindex.html#queries),
 * so every query of the queues takes its condition from here.
 */

const column = (alias: string | undefined) => (alias ? `${alias}."status"` : `"status"`);
const statusIs = (status: 'pending' | 'sending', alias: string | undefined) => `${column(alias)} = '${status}'`;

/** An inbound event not handled yet. */
export const pendingEvent = (alias?: string): Sql => raw(statusIs('pending', alias));

/** An outbox row not sent yet (waiting, or being sent). */
export const unsentItem = (alias?: string): Sql => raw(`(${statusIs('pending', alias)} OR ${statusIs('sending', alias)})`);

/** An outbox row waiting to be sent (the channel walk's index of waiting rows). */
export const waitingItem = (alias?: string): Sql => raw(statusIs('pending', alias));

/** An outbox row being sent (the channel walk's index of rows in flight). */
export const sendingItem = (alias?: string): Sql => raw(statusIs('sending', alias));

/**
 * The status checked on rows already named by key (an UPDATE's guard, e.g. "still pending"):
 * compared as text, which no partial index's condition is written in, so that the planner finds
 * the rows by key and checks each one's status. Written like the conditions above, it let
 * PostgreSQL read the rows through a queue index instead, a scan of the whole backlog per
 * statement, whenever its statistics of that index were taken while the queue was empty.
 */
export const statusStill = (status: 'pending' | 'sending', alias?: string): Sql => raw(`CAST(${column(alias)} AS TEXT) = '${status}'`);

/** Inbound events not handled yet (of these lanes, when given). */
export async function pendingEventCount(db: Database, lanes?: readonly string[]): Promise<number> {
  const among = lanes ? sql`AND ${inList(db.dialect, sql`"laneKey"`, lanes)}` : empty;
  const [row] = await queryRows(db.prisma, sql`SELECT count(*) AS "count" FROM "InboxEvent" WHERE ${pendingEvent()} ${among}`);
  return Number(row?.count ?? 0);
}

/** Outbox rows not sent yet (of these channels, of these lanes, when given). */
export async function unsentItemCount(db: Database, among: { channels?: readonly string[]; lanes?: readonly string[] } = {}): Promise<number> {
  const channels = among.channels ? sql`AND ${inList(db.dialect, sql`"channel"`, among.channels)}` : empty;
  const lanes = among.lanes ? sql`AND ${inList(db.dialect, sql`"laneKey"`, among.lanes)}` : empty;
  const [row] = await queryRows(db.prisma, sql`SELECT count(*) AS "count" FROM "OutboxItem" WHERE ${unsentItem()} ${channels} ${lanes}`);
  return Number(row?.count ?? 0);
}
