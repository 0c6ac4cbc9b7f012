import { raw, type Sql } from '../db/sql.ts';

/*
 * The rows the queue indexes hold: the `where` of the partial indexes on InboxEvent and
 * OutboxItem (prisma/schema.prisma). Handled events and sent or failed rows leave them, so they
 * stay as small as the backlog instead of growing with every message ever handled, and a commit
 * rewrites a few of their pages instead of one page a row. SQLite uses a partial index only for a
 * query that states its condition in the same words (https://sqlite.org/partialindex.html#queries),
 * so every query of the queues takes its condition from here.
 */

const column = (alias: string | undefined) => (alias ? `${alias}."status"` : `"status"`);

/** An inbound event not handled yet. */
export const pendingEvent = (alias?: string): Sql => raw(`${column(alias)} = 'pending'`);

/** An outbox row not sent yet (waiting, or being sent). */
export const unsentItem = (alias?: string): Sql => raw(`(${column(alias)} = 'pending' OR ${column(alias)} = 'sending')`);
