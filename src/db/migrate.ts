import { createHash, randomUUID } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import type { Database, Dialect } from './database.ts';
import { updatePlannerStatistics } from './planner-statistics.ts';
import { loadMigrations } from './schema-engine.ts';

/**
 * Applies prisma/migrations/<dialect>/ that the database has not seen, recorded in
 * `_prisma_migrations` as `prisma migrate deploy` records them (same table, same checksum).
 *
 * Each migration runs in one transaction together with its history row, so a process killed
 * at any moment leaves it either applied and recorded or not there at all: the next start
 * simply applies it (both databases have transactional DDL). Prisma's own engine runs a
 * script statement by statement and records it as "failed" when interrupted, which made every
 * later start refuse to run. Processes starting together take turns: a PostgreSQL advisory
 * lock, on SQLite the write lock of BEGIN IMMEDIATE; each re-reads the history under it.
 */

export interface MigrateOptions {
  /** Called inside a migration's transaction after its script ran, before the commit (tests kill the process here). */
  readonly beforeCommit?: (migration: string) => Promise<void>;
}

interface HistoryRow {
  readonly migration_name: string;
  readonly finished_at: unknown;
  readonly rolled_back_at: unknown;
}

/** One connection of its own, used for nothing but migrating. */
interface MigrationSession {
  /** Runs fn in a transaction that holds the database's migration lock. */
  transaction<T>(fn: (tx: MigrationTransaction) => Promise<T>): Promise<T>;
  /** The history read without the lock (empty when the table does not exist yet). */
  history(): Promise<HistoryRow[]>;
  close(): Promise<void>;
}

interface MigrationTransaction {
  /** Runs a script of several statements. */
  exec(script: string): Promise<void>;
  history(): Promise<HistoryRow[]>;
  record(row: { id: string; checksum: string; name: string }): Promise<void>;
  /** Marks unfinished rows of a migration (left by Prisma's engine) as rolled back. */
  markRolledBack(name: string): Promise<void>;
}

// The table Prisma's migrate creates, column for column, so either tool can read the other's history.
const HISTORY_TABLE: Record<Dialect, string> = {
  sqlite: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL, "finished_at" DATETIME, "migration_name" TEXT NOT NULL,
    "logs" TEXT, "rolled_back_at" DATETIME, "started_at" DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0)`,
  postgresql: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ, "migration_name" VARCHAR(255) NOT NULL,
    "logs" TEXT, "rolled_back_at" TIMESTAMPTZ, "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`,
};

const HISTORY = 'SELECT migration_name, finished_at, rolled_back_at FROM "_prisma_migrations"';

/** Any number: it only has to be the same for every Parley process of a database. */
const PG_MIGRATION_LOCK = 72_616_874;

const isApplied = (row: HistoryRow) => row.finished_at !== null && row.rolled_back_at === null;
const isUnfinished = (row: HistoryRow) => row.finished_at === null && row.rolled_back_at === null;

function openSqliteSession(path: string): MigrationSession {
  const sqlite = new BetterSqlite3(path, { timeout: 60_000 });
  // Prisma's table-redefining migrations switch foreign keys off around the copy, but that
  // pragma does nothing inside a transaction: switch it off for the whole session instead
  // and check the keys before each commit.
  sqlite.pragma('foreign_keys = OFF');
  const tx: MigrationTransaction = {
    exec: async (script) => void sqlite.exec(script),
    history: async () => sqlite.prepare(HISTORY).all() as HistoryRow[],
    record: async ({ id, checksum, name }) =>
      void sqlite
        .prepare(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
           VALUES (?, ?, ?, current_timestamp, current_timestamp, 1)`,
        )
        .run(id, checksum, name),
    markRolledBack: async (name) =>
      void sqlite.prepare(`UPDATE "_prisma_migrations" SET rolled_back_at = current_timestamp WHERE migration_name = ? AND finished_at IS NULL`).run(name),
  };
  return {
    async transaction(fn) {
      sqlite.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(tx);
        const broken = sqlite.prepare('PRAGMA foreign_key_check').all() as { table: string; parent: string }[];
        if (broken.length > 0) {
          const first = broken[0] as { table: string; parent: string };
          throw new Error(`${broken.length} row(s) break a foreign key (first: ${first.table} -> ${first.parent})`);
        }
        sqlite.exec('COMMIT');
        return result;
      } catch (error) {
        if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
        throw error;
      }
    },
    history: () => tx.history().catch(() => []),
    close: async () => void sqlite.close(),
  };
}

async function openPostgresSession(db: Database): Promise<MigrationSession> {
  const adapter = await db.adapterFactory.connect();
  // The driver adapter's pool: a client of our own keeps the lock and the transaction on one connection.
  const pool = (adapter as unknown as { client: pg.Pool }).client;
  const client = await pool.connect();
  const tx: MigrationTransaction = {
    // Without parameters pg sends the simple query protocol, which takes several statements.
    exec: async (script) => void (await client.query(script)),
    history: async () => (await client.query<HistoryRow>(HISTORY)).rows,
    record: async ({ id, checksum, name }) =>
      void (await client.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
         VALUES ($1, $2, $3, now(), now(), 1)`,
        [id, checksum, name],
      )),
    markRolledBack: async (name) =>
      void (await client.query(`UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = $1 AND finished_at IS NULL`, [name])),
  };
  return {
    async transaction(fn) {
      await client.query('BEGIN');
      try {
        // Held to the end of the transaction; a killed process's lock goes with its connection.
        await client.query('SELECT pg_advisory_xact_lock($1)', [PG_MIGRATION_LOCK]);
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      }
    },
    history: () => tx.history().catch(() => []),
    async close() {
      client.release();
      await adapter.dispose();
    },
  };
}

/**
 * Brings the database to the newest migration. Safe to run again and from several processes
 * at once; resumes after a process was killed in the middle.
 */
export async function migrate(db: Database, options: MigrateOptions = {}): Promise<{ applied: string[] }> {
  const migrations = loadMigrations(db.dialect);
  if (migrations.migrationDirectories.length === 0) throw new Error(`no migrations found in ${migrations.baseDir}`);
  const session = db.dialect === 'sqlite' ? openSqliteSession(db.path as string) : await openPostgresSession(db);
  const applied: string[] = [];
  try {
    // Up to date (every start but the first): no lock taken, nothing written.
    const done = new Set((await session.history()).filter(isApplied).map((r) => r.migration_name));
    for (const { path: name, migrationFile } of migrations.migrationDirectories) {
      if (done.has(name)) continue;
      if (migrationFile.content.tag === 'error') throw new Error(migrationFile.content.value);
      const script = migrationFile.content.value;
      let interrupted = false;
      await session
        .transaction(async (tx) => {
          await tx.exec(HISTORY_TABLE[db.dialect]);
          const rows = (await tx.history()).filter((r) => r.migration_name === name);
          if (rows.some(isApplied)) return;
          // An unfinished row is Prisma's engine's record of an interrupted run. Its script is
          // tried again in this transaction: if the interrupted run left changes behind, it
          // fails and nothing here is kept, and the error below says what to do.
          interrupted = rows.some(isUnfinished);
          if (interrupted) await tx.markRolledBack(name);
          await tx.exec(script);
          await tx.record({ id: randomUUID(), checksum: createHash('sha256').update(script).digest('hex'), name });
          await options.beforeCommit?.(name);
          applied.push(name);
        })
        .catch((error: unknown) => {
          const busy = db.dialect === 'sqlite' && /SQLITE_BUSY|locked/i.test((error as Error).message);
          const hint = busy
            ? ' (another process held the SQLite file locked for over a minute)'
            : interrupted
              ? ' (an interrupted run of an older Parley or of `prisma migrate` left part of it applied: restore a backup, or finish it by hand and record it with `prisma migrate resolve --applied`)'
              : '';
          throw new Error(`migrating ${db.displayUrl}: ${name} failed and was rolled back${hint}: ${(error as Error).message}`, { cause: error });
        });
    }
  } finally {
    await session.close();
  }
  // SQLite: the query planner's statistics, gathered on the connection that plans the queries (it
  // does not reload those another connection gathers), through Prisma, which connects again if a
  // caller disconnected it for the engine; database.ts keeps them up to date. PostgreSQL's
  // autovacuum gathers its own.
  if (db.dialect === 'sqlite') await updatePlannerStatistics((text) => db.prisma.$queryRawUnsafe(`PRAGMA ${text}`), 'opened');
  return { applied };
}
