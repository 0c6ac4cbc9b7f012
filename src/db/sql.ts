import type BetterSqlite3 from 'better-sqlite3';
import { Prisma } from '../generated/sqlite/client.ts';
import type { Dialect, Prisma as PrismaClient } from './database.ts';

/**
 * Raw SQL for the hot path, one statement text for both databases (Prisma.sql templates).
 *
 * On SQLite every Prisma client and transaction of a database shares ONE better-sqlite3
 * connection. Statements here run on that connection directly, prepared once and cached:
 * inside a `db.write` they are part of its open transaction, exactly like the Prisma calls
 * around them, but skip Prisma's query machinery (about 0.3 ms a call). On PostgreSQL a
 * transaction has its own pooled connection, so statements go through the client given.
 */
export type Sql = Prisma.Sql;
export const sql = Prisma.sql;
export const join = Prisma.join;
export const raw = Prisma.raw;
export const empty = Prisma.empty;

type Handle = BetterSqlite3.Database;
const handles = new WeakMap<object, Handle>();
const statements = new WeakMap<Handle, Map<string, BetterSqlite3.Statement>>();
/** Distinct statement texts kept prepared per connection (texts are built to be few). */
const MAX_CACHED_STATEMENTS = 500;

/** Records that `client` (a PrismaClient or one of its transactions) runs on this SQLite connection. */
export function attachSqliteConnection(client: object, handle: Handle): void {
  handles.set(client, handle);
}

export function sqliteConnectionOf(client: object): Handle | undefined {
  return handles.get(client);
}

function prepared(handle: Handle, text: string): BetterSqlite3.Statement {
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
  const statement = prepared(handle, text);
  const bound = values.map(sqliteValue);
  if (statement.reader) return { rows: statement.all(...bound) as Record<string, unknown>[], changes: 0 };
  return { rows: [], changes: statement.run(...bound).changes };
}

/** Rows of a query. Columns come back as the database gives them: decode with `decodeRows`. */
export async function queryRows(client: PrismaClient, query: Sql): Promise<Record<string, unknown>[]> {
  const handle = handles.get(client);
  if (handle) return runOnSqlite(handle, query.sql, query.values).rows;
  return client.$queryRaw<Record<string, unknown>[]>(query);
}

/** Runs a write statement; returns how many rows it changed. */
export async function execute(client: PrismaClient, query: Sql): Promise<number> {
  const handle = handles.get(client);
  if (handle) return runOnSqlite(handle, query.sql, query.values).changes;
  return client.$executeRaw(query);
}

/**
 * `column IN (values)` with the values as ONE JSON parameter, so the statement text (and the
 * prepared statement) is the same whatever the number of values.
 */
export function inList(dialect: Dialect, column: Sql, values: readonly unknown[]): Sql {
  const json = JSON.stringify(values);
  return dialect === 'sqlite' ? sql`${column} IN (SELECT value FROM json_each(${json}))` : sql`${column} IN (SELECT jsonb_array_elements_text(${json}::jsonb))`;
}

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
