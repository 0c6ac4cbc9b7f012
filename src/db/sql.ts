import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import { Prisma } from '../generated/sqlite/client.ts';
import type { Dialect, Prisma as PrismaClient } from './database.ts';

/**
 * Raw SQL for the hot path, one statement text for both databases (Prisma.sql templates).
 *
 * On SQLite every Prisma client and transaction of a database shares ONE better-sqlite3
 * connection. Statements here run on that connection directly, prepared once and cached:
 * inside a `db.write` they are part of its open transaction, exactly like the Prisma calls
 * around them, but skip Prisma's query machinery (about 0.3 ms a call). On PostgreSQL they
 * run on the pg connection behind the client given: the pool for the root client, the
 * transaction's own connection for a `db.write` transaction (Prisma costs about 0.7 ms a
 * call there, pg itself about 0.1 ms).
 */
export type Sql = Prisma.Sql;
export const sql = Prisma.sql;
export const join = Prisma.join;
export const raw = Prisma.raw;
export const empty = Prisma.empty;

type Handle = BetterSqlite3.Database;
const handles = new WeakMap<object, Handle>();
/** A pg pool or pooled connection: what runs a client's statements on PostgreSQL. */
export type PgQueryable = Pick<pg.Pool, 'query'>;
const pgConnections = new WeakMap<object, PgQueryable>();
const statements = new WeakMap<Handle, Map<string, BetterSqlite3.Statement>>();
/** Each connection's `synchronous` setting outside withoutDiskSync. */
const syncLevels = new WeakMap<Handle, number>();
/** Distinct statement texts kept prepared per connection (texts are built to be few). */
const MAX_CACHED_STATEMENTS = 500;

/** Records that `client` (a PrismaClient or one of its transactions) runs on this SQLite connection. */
export function attachSqliteConnection(client: object, handle: Handle): void {
  handles.set(client, handle);
}

export function sqliteConnectionOf(client: object): Handle | undefined {
  return handles.get(client);
}

/**
 * Runs `commits` with the connection's commits not waiting for the disk (WAL with synchronous =
 * NORMAL: they survive a crash of the process, and the next synced commit makes them durable
 * against a power cut too), then puts the setting back. The caller makes sure no other writer
 * of this process commits meanwhile (the database's writer queue).
 */
export async function withoutDiskSync<T>(handle: Handle, commits: () => Promise<T>): Promise<T> {
  // Read once per connection (11 µs a read, one per writer's turn): only this function changes it, and puts it back.
  let synchronous = syncLevels.get(handle);
  if (synchronous === undefined) {
    // Prepared once (better-sqlite3's pragma() prepares on every call: 1.5% of the CPU under load).
    synchronous = (preparedStatement(handle, 'PRAGMA synchronous').get() as { synchronous: number }).synchronous;
    syncLevels.set(handle, synchronous);
  }
  preparedStatement(handle, 'PRAGMA synchronous = NORMAL').run();
  try {
    return await commits();
  } finally {
    preparedStatement(handle, `PRAGMA synchronous = ${synchronous}`).run();
  }
}

/** Records that `client` (a PrismaClient or one of its transactions) runs on this pg pool or connection. */
export function attachPgConnection(client: object, connection: PgQueryable): void {
  pgConnections.set(client, connection);
}

/** The pg pool or connection a client's raw statements run on (PostgreSQL only). */
export function pgConnectionOf(client: object): PgQueryable | undefined {
  return pgConnections.get(client);
}

/** pg reads `timestamp` (without time zone) as local time; Prisma writes UTC there. */
const TIMESTAMP_OID = 1114;
const pgTypes = {
  getTypeParser: (oid: number, format?: string) =>
    oid === TIMESTAMP_OID ? (text: string) => new Date(`${text.replace(' ', 'T')}Z`) : pgTypeParsers.getTypeParser(oid, format as 'text'),
};
let pgTypeParsers: typeof pg.types;
/** Called once the pg module is loaded (only when a PostgreSQL database is opened). */
export function usePgTypes(types: typeof pg.types): void {
  pgTypeParsers = types;
}

// Dates as UTC ISO text: a `timestamp` column keeps the UTC wall time, as Prisma writes it.
const pgValue = (value: unknown) => (value instanceof Date ? value.toISOString() : value);

async function runOnPg(connection: PgQueryable, query: Sql): Promise<pg.QueryResult> {
  return connection.query({ text: query.text, values: query.values.map(pgValue), types: pgTypes } as pg.QueryConfig);
}

/** The connection's prepared statement for this text (prepared on first use, then cached). */
export function preparedStatement(handle: Handle, text: string): BetterSqlite3.Statement {
  let cache = statements.get(handle);
  if (!cache) statements.set(handle, (cache = new Map()));
  let statement = cache.get(text);
  if (!statement) {
    if (cache.size >= MAX_CACHED_STATEMENTS) cache.clear();
    statement = handle.prepare(text);
    // Prisma's adapter turns safe integers on for the whole connection; plain numbers here.
    statement.safeIntegers(false);
    cache.set(text, statement);
  }
  return statement;
}

/** Prisma stores SQLite DateTime as ISO 8601 text with an explicit +00:00 offset. */
export const sqliteTimestamp = (date: Date): string => date.toISOString().replace('Z', '+00:00');

/** A bound value as Prisma writes it to SQLite: dates as text, booleans as 0/1, JSON as text. */
export function sqliteValue(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return sqliteTimestamp(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'object' && !Buffer.isBuffer(value)) return JSON.stringify(value);
  return value;
}

/** Runs a statement on a SQLite connection; returns rows of a reader, the change count otherwise. */
export function runOnSqlite(handle: Handle, text: string, values: readonly unknown[]): { rows: Record<string, unknown>[]; changes: number } {
  const statement = preparedStatement(handle, text);
  const bound = values.map(sqliteValue);
  if (statement.reader) return { rows: statement.all(...bound) as Record<string, unknown>[], changes: 0 };
  return { rows: [], changes: statement.run(...bound).changes };
}

/** Rows of a query. Columns come back as the database gives them: decode with `decodeRows`. */
export async function queryRows(client: PrismaClient, query: Sql): Promise<Record<string, unknown>[]> {
  const handle = handles.get(client);
  if (handle) return runOnSqlite(handle, query.sql, query.values).rows;
  const connection = pgConnections.get(client);
  if (connection) return (await runOnPg(connection, query)).rows;
  return client.$queryRaw<Record<string, unknown>[]>(query);
}

/** Runs a write statement; returns how many rows it changed. */
export async function execute(client: PrismaClient, query: Sql): Promise<number> {
  const handle = handles.get(client);
  if (handle) return runOnSqlite(handle, query.sql, query.values).changes;
  const connection = pgConnections.get(client);
  if (connection) return (await runOnPg(connection, query)).rowCount ?? 0;
  return client.$executeRaw(query);
}

/** A value for a Json column: JSON text, which SQLite stores as is (as Prisma does) and PostgreSQL casts. */
export function jsonParam(dialect: Dialect, value: unknown): Sql {
  return dialect === 'sqlite' ? sql`${JSON.stringify(value)}` : sql`${JSON.stringify(value)}::jsonb`;
}

/**
 * `column IN (values)` with the values as ONE parameter, so the statement text (and the
 * prepared statement) is the same whatever the number of values: a JSON array on SQLite, a
 * text array on PostgreSQL (whose planner uses the column's index for `= ANY(array)`, where
 * it would scan the table for an IN over a set-returning function).
 */
export function inList(dialect: Dialect, column: Sql, values: readonly string[]): Sql {
  return dialect === 'sqlite' ? sql`${column} IN (SELECT value FROM json_each(${JSON.stringify(values)}))` : sql`${column} = ANY(${[...values]}::text[])`;
}

/** The values as rows of one column, `value`, with the values as ONE parameter (see inList): for a join or a correlated subquery per value. */
export function valueRows(dialect: Dialect, values: readonly string[]): Sql {
  return dialect === 'sqlite' ? sql`(SELECT value FROM json_each(${JSON.stringify(values)}))` : sql`(SELECT unnest(${[...values]}::text[]) AS value)`;
}

/** Text matched literally by `LIKE ... ESCAPE '\\'`: its wildcards (% and _) and the escape character itself are escaped. */
export const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

export type ReadKind = 'timestamp' | 'json' | 'boolean' | 'integer';

/**
 * Turns raw rows into the shapes Prisma's models have. SQLite gives timestamps and JSON as
 * text and booleans as 0/1; PostgreSQL (through Prisma) gives them typed already.
 */
export function decodeRows<T>(dialect: Dialect, rows: readonly Record<string, unknown>[], kinds: Readonly<Record<string, ReadKind>>): T[] {
  const entries = Object.entries(kinds);
  for (const row of rows) {
    for (const [column, kind] of entries) {
      const value = row[column];
      if (value === null || value === undefined) continue;
      if (kind === 'timestamp') row[column] = value instanceof Date ? value : new Date(value as string);
      else if (kind === 'json') row[column] = dialect === 'sqlite' && typeof value === 'string' ? JSON.parse(value) : value;
      else if (kind === 'boolean') row[column] = value === true || value === 1 || value === 1n;
      else if (kind === 'integer') row[column] = Number(value);
    }
  }
  return rows as T[];
}

/** `WITH n(i)`: the numbers 1 to `count`, for bulk INSERT ... SELECT (benchmark data, test fixtures). */
export function numberSeries(dialect: Dialect, count: number): string {
  if (!Number.isSafeInteger(count) || count < 0) throw new Error(`numberSeries: ${count} is not a count`);
  return dialect === 'sqlite'
    ? `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${count})`
    : `WITH n(i) AS (SELECT generate_series(1, ${count}))`;
}
