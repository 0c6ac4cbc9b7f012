import type { Database, Prisma as PrismaClient } from './database.ts';

/**
 * Runs `write` (raw statements of src/db/sql.ts) as one transaction that, on SQLite, commits
 * without waiting for the disk: WAL with synchronous = NORMAL survives a crash of the process,
 * and the next synced commit makes it durable against a power cut as well. A synced commit
 * costs an fsync that blocks the event loop (measured 7 ms on the 2-core machine), so this is
 * for bookkeeping whose loss in a power cut is already handled (the outbox's sent records: a
 * lost one leaves the row `sending`, which is reconciled). On PostgreSQL: synchronous_commit off.
 */
export function unsyncedWrite<T>(db: Database, write: (client: PrismaClient) => Promise<T>): Promise<T> {
  return db.write(write, { synced: false });
}
