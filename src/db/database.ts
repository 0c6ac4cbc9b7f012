import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import type { PoolClient } from 'pg';
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { PrismaClient } from '../generated/sqlite/client.ts';
import { cachedPing, type DatabasePing, postgresPing, sqlitePing } from './ping.ts';
import { attachPgConnection, attachSqliteConnection, execute, type PgQueryable, sql, sqliteConnectionOf, usePgTypes, withoutDiskSync } from './sql.ts';
import { oneQueryAtATime } from './one-query-at-a-time.ts';
import { PLANNER_STATISTICS_INTERVAL_MS, updatePlannerStatistics } from './planner-statistics.ts';
import { WalCheckpointer } from './wal-checkpointer.ts';
import { WalSync } from './wal-sync.ts';
import { SqliteWriter } from './sqlite-writer.ts';

export type Dialect = 'sqlite' | 'postgresql';

/**
 * The app is typed against the SQLite client; the PostgreSQL client has the same models and
 * is cast to it (a union of the two generated client types does not typecheck).
 */
export type Prisma = PrismaClient;
export type { Prisma as PrismaNamespace } from '../generated/sqlite/client.ts';

export interface Database {
  readonly prisma: Prisma;
  readonly dialect: Dialect;
  /** The URL without its password, for logs. */
  readonly displayUrl: string;
  /** The SQLite file (SQLite only). */
  readonly path?: string;
  /**
   * Runs a unit of writes. On SQLite the driver shares one connection, so a transaction must
   * not interleave with another process-local writer: writers queue here. On PostgreSQL each
   * transaction has its own connection and row locks do the work.
   */
  write<T>(fn: (tx: Prisma) => Promise<T>, options?: WriteOptions): Promise<T>;
  /**
   * Runs one write statement outside a transaction. On SQLite it still queues behind the
   * writers: on the shared connection it would otherwise run inside (and roll back with)
   * another caller's open transaction.
   */
  run<T>(fn: (client: Prisma) => Promise<T>, options?: RunOptions): Promise<T>;
  /**
   * Runs bookkeeping statements whose loss in a power cut is already handled (a lease, a send's
   * record: see each caller), committed without waiting for the disk. SQLite: one transaction,
   * queued with the writers, committed without a sync. PostgreSQL: each statement commits on its
   * own on a connection with synchronous_commit off, with no transaction round trips; raw
   * statements only (src/db/sql.ts), so each must be whole by itself.
   */
  unsynced<T>(fn: (client: Prisma) => Promise<T>): Promise<T>;
  /** Readiness: a read on a connection of its own, never queued behind the writers (see ping.ts). */
  ping(): Promise<void>;
  /** The adapter factory, for the migration engine. */
  readonly adapterFactory: SqlMigrationAwareDriverAdapterFactory;
  close(): Promise<void>;
}

export interface WriteOptions {
  /**
   * false: the commit does not wait for the disk (SQLite: WAL with synchronous = NORMAL;
   * PostgreSQL: synchronous_commit off). It survives a crash of the process; a power cut (or a
   * crash of the PostgreSQL server) may undo it, and only it and the commits after it, since
   * the log is written in order: the next synced commit makes it durable too. For a write whose
   * loss is redone from what is already durable and that nothing outside depends on until a
   * later synced commit. Default true.
   */
  readonly synced?: boolean;
}

export interface RunOptions {
  /**
   * Goes before the writers still waiting (SQLite, where they queue): for the write an
   * acknowledgement waits for (the inbox), so that it waits for the write in progress only,
   * not for every bookkeeping write queued before it.
   */
  readonly ahead?: boolean;
}

export function dialectOf(url: string): Dialect {
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgresql';
  if (url.startsWith('file:')) return 'sqlite';
  throw new Error(`DATABASE_URL "${redactUrl(url)}" is not supported: use file:./path/to/parley.db (SQLite) or postgres://user@host:5432/db`);
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

/** Loads only the dialect's generated client and driver adapter: each is large, and a process uses one. */
export async function openDatabase(url: string): Promise<Database> {
  const dialect = dialectOf(url);
  if (dialect === 'sqlite') return openSqlite(url);
  return openPostgres(url);
}

/**
 * better-sqlite3 runs every statement synchronously, so Prisma's promises over it are already
 * settled: queued writers would otherwise run one after the other in a single turn of the event
 * loop (measured: over a second at full load), and no HTTP request, health probe included, is
 * read meanwhile. Each SQLite write starts on a turn of its own.
 */
const turnOfEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

async function openSqlite(url: string): Promise<Database> {
  const path = url.replace(/^file:/, '');
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  const [{ PrismaBetterSqlite3 }, { PrismaClient }] = await Promise.all([import('@prisma/adapter-better-sqlite3'), import('../generated/sqlite/client.ts')]);
  const adapterFactory = new PrismaBetterSqlite3({ url: path, timeout: 10_000 });
  const writer = new SqliteWriter(() => sqliteConnectionOf(prisma));
  const prisma = new PrismaClient({
    adapter: withConnection(new PrismaBetterSqlite3({ url: path, timeout: 10_000 }), (adapter, handle) => {
      attachSqliteConnection(prisma, handle);
      writer.wrapAdapter(adapter, handle);
    }),
  });
  // WAL lets readers run beside the writer. synchronous = FULL syncs every commit, so an
  // acknowledged message survives a power cut too, not only a process crash. The writers below
  // commit with NORMAL instead and wait for an fsync of the WAL off the event loop (WalSync),
  // which gives the same durability; FULL stays for anything committed outside them.
  await prisma.$queryRawUnsafe('PRAGMA journal_mode = WAL');
  await prisma.$queryRawUnsafe('PRAGMA synchronous = FULL');
  await prisma.$queryRawUnsafe('PRAGMA foreign_keys = ON');
  // An in-memory database has no file a second connection could open: it is checked on its own connection.
  const health: DatabasePing =
    path === ':memory:' ? { ping: async () => void (await prisma.$queryRawUnsafe('SELECT 1')), close: async () => {} } : cachedPing(sqlitePing(path));
  const wal = path === ':memory:' ? undefined : new WalSync(path);
  const checkpointer = path === ':memory:' ? undefined : await checkpointOffTheEventLoop(prisma, path, writer);
  /** Runs a writer's turn with its commits not synced, then (durable) waits for the WAL's fsync. */
  const turn = async <T>(fn: (connection: BetterSqlite3.Database | undefined) => Promise<T>, options: { ahead?: boolean; durable: boolean }) => {
    const result = await writer.run(async () => {
      await turnOfEventLoop();
      const connection = sqliteConnectionOf(prisma);
      return wal && connection ? withoutDiskSync(connection, () => fn(connection)) : fn(connection);
    }, options);
    checkpointer?.committed();
    if (options.durable) await wal?.sync();
    return result;
  };
  // The query planner's statistics, gathered after the migrations (migrate.ts), follow the tables as they grow.
  const statistics = setInterval(() => {
    turn(async (connection) => connection && updatePlannerStatistics((text) => connection.pragma(text), 'periodic'), { durable: false }).catch((error: Error) =>
      process.emitWarning(`updating the query planner's statistics failed (tried again in an hour): ${error.message}`, 'ParleyDatabase'),
    );
  }, PLANNER_STATISTICS_INTERVAL_MS).unref();
  return {
    prisma,
    dialect: 'sqlite',
    displayUrl: url,
    path,
    adapterFactory,
    write: (fn, options) => turn(() => writer.transaction(() => fn(prisma)), { durable: options?.synced !== false }),
    run: (fn, options) => turn(() => fn(prisma), { ahead: options?.ahead, durable: true }),
    unsynced: (fn) => turn(() => writer.transaction(() => fn(prisma)), { durable: false }),
    ping: () => health.ping(),
    close: async () => {
      clearInterval(statistics);
      await health.close();
      await checkpointer?.close();
      await wal?.close();
      await prisma.$disconnect();
    },
  };
}

/** SQLite's checkpoints move to a thread (WalCheckpointer); if it fails, SQLite checkpoints in its commits again, as by default. */
async function checkpointOffTheEventLoop(prisma: PrismaClient, path: string, writer: SqliteWriter): Promise<WalCheckpointer> {
  await prisma.$queryRawUnsafe('PRAGMA wal_autocheckpoint = 0');
  return new WalCheckpointer(path, {
    writersTurn: (work) => writer.run(work, { ahead: true }),
    onFailure: (message) => {
      process.emitWarning(`${message}; SQLite checkpoints in its commits again`, 'ParleyDatabase');
      void prisma.$queryRawUnsafe('PRAGMA wal_autocheckpoint = 1000').catch(() => undefined);
    },
  });
}

/**
 * The adapter factory Prisma's client connects through, reporting each adapter it opens with
 * its better-sqlite3 connection, so the hot path can run statements on it (src/db/sql.ts) and
 * the writer can take over its transactions (src/db/sqlite-writer.ts).
 */
function withConnection(factory: PrismaBetterSqlite3, onConnect: (adapter: SqlDriverAdapter, handle: BetterSqlite3.Database) => void): PrismaBetterSqlite3 {
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter = await connect();
    onConnect(adapter, (adapter as unknown as { client: BetterSqlite3.Database }).client);
    return adapter;
  };
  return factory;
}

async function openPostgres(url: string): Promise<Database> {
  const [{ default: pg }, { PrismaPg }, { PrismaClient: PostgresClient }] = await Promise.all([
    import('pg'),
    import('@prisma/adapter-pg'),
    import('../generated/postgres/client.ts'),
  ]);
  usePgTypes(pg.types);
  const slots = new AsyncLocalStorage<{ connection?: PgQueryable }>();
  const adapterFactory = new PrismaPg({ connectionString: url, max: 10 });
  const clientFactory = new PrismaPg({ connectionString: url, max: 10 });
  const connect = clientFactory.connect.bind(clientFactory);
  clientFactory.connect = async () => {
    const adapter = await connect();
    const pool = (adapter as unknown as { client: PgQueryable }).client;
    attachPgConnection(prisma, pool);
    // A transaction's pooled connection, one query at a time (see one-query-at-a-time.ts), handed
    // to the db.write that started it (see sql.ts).
    const startTransaction = adapter.startTransaction.bind(adapter);
    adapter.startTransaction = async (isolationLevel) => {
      const transaction = await startTransaction(isolationLevel);
      const connection = oneQueryAtATime((transaction as unknown as { client: PoolClient }).client);
      const slot = slots.getStore();
      if (slot) slot.connection = connection;
      return transaction;
    };
    return adapter;
  };
  const prisma = new PostgresClient({ adapter: clientFactory }) as unknown as Prisma;
  const health = cachedPing(postgresPing(url));
  // Bookkeeping statements (db.unsynced): a small pool of its own whose commits do not wait for
  // the WAL flush. Raw statements given this client run there; anything else falls through to
  // the main client.
  const bookkeepingPool = new pg.Pool({ connectionString: url, max: 2, options: '-c synchronous_commit=off' });
  bookkeepingPool.on('error', () => undefined);
  const bookkeeping = Object.create(prisma) as Prisma;
  attachPgConnection(bookkeeping, bookkeepingPool);
  return {
    prisma,
    dialect: 'postgresql',
    displayUrl: redactUrl(url),
    adapterFactory,
    write: (fn, options) => {
      const slot: { connection?: PgQueryable } = {};
      return slots.run(slot, () =>
        prisma.$transaction(
          async (tx) => {
            if (slot.connection) attachPgConnection(tx, slot.connection);
            if (options?.synced === false) await execute(tx as Prisma, sql`SET LOCAL synchronous_commit TO OFF`);
            return fn(tx as Prisma);
          },
          { timeout: 60_000 },
        ),
      );
    },
    run: (fn) => fn(prisma),
    unsynced: (fn) => fn(bookkeeping),
    ping: () => health.ping(),
    close: async () => {
      await health.close();
      await bookkeepingPool.end();
      await prisma.$disconnect();
    },
  };
}
