import { Prisma } from '../generated/sqlite/client.ts';
import type { Dialect, Prisma as PrismaClient } from './database.ts';
import { execute, preparedStatement, queryRows, sqliteConnectionOf, sqliteTimestamp } from './sql.ts';

/**
 * Multi-row INSERT for the hot path. Prisma's createMany spends about 0.5 ms a row in its
 * query compiler (measured: 250 rows 150 ms), and even a raw multi-row INSERT pays for every
 * bound parameter. On PostgreSQL all rows travel as ONE JSON parameter that the database
 * expands itself (jsonb_to_recordset): 250 rows cost one round trip. On SQLite, which has no
 * round trip, one cached prepared statement runs per row on the connection (src/db/sql.ts).
 *
 * Columns are named explicitly; those left out take their database default.
 */
export type ColumnKind = 'text' | 'json' | 'timestamp' | 'integer' | 'boolean' | { readonly enum: string };

export interface InsertOptions {
  /** Conflict target columns: rows that conflict there are skipped. */
  readonly skipConflictsOn?: readonly string[];
  /** Conflict target columns: rows that conflict there update every other named column. */
  readonly updateConflictsOn?: readonly string[];
  /** With updateConflictsOn: columns an update leaves as they were (e.g. createdAt). */
  readonly keepOnUpdate?: readonly string[];
}

const quote = (name: string) => `"${name}"`;

function jsonValue(dialect: Dialect, kind: ColumnKind, value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (kind === 'boolean' && dialect === 'sqlite') return value ? 1 : 0;
  if (kind === 'timestamp') return dialect === 'sqlite' ? sqliteTimestamp(value as Date) : (value as Date).toISOString();
  return value;
}

/** json_extract returns objects and arrays as JSON text, which is how Prisma stores Json. */
const sqliteSelect = (names: readonly string[]) => names.map((name) => `json_extract(value, '$.${quote(name)}')`).join(', ');

function postgresType(kind: ColumnKind): string {
  if (typeof kind === 'object') return quote(kind.enum);
  return { text: 'text', json: 'jsonb', timestamp: 'timestamp(3)', integer: 'integer', boolean: 'boolean' }[kind];
}

/** Inserts rows; returns the ids of the rows inserted (skipped conflicts are not among them). */
export async function bulkInsert<Row extends { id: string }>(
  tx: PrismaClient,
  dialect: Dialect,
  table: string,
  columns: { readonly [K in keyof Row & string]?: ColumnKind },
  rows: readonly Row[],
  options: InsertOptions = {},
): Promise<string[]> {
  if (rows.length === 0) return [];
  const kinds = columns as Readonly<Record<string, ColumnKind>>;
  const connection = dialect === 'sqlite' ? sqliteConnectionOf(tx) : undefined;
  if (connection) return insertRowByRow(connection, table, kinds, rows, options);
  const statement = bulkInsertStatement(dialect, table, columns, rows, options);
  if (!options.skipConflictsOn) {
    await execute(tx, statement);
    return rows.map((r) => r.id);
  }
  const inserted = await queryRows(tx, statement);
  return inserted.map((r) => r.id as string);
}

/**
 * The INSERT itself, all rows in one JSON parameter (RETURNING the inserted ids when it skips
 * conflicts), for a caller that runs it, or composes several into one PostgreSQL statement.
 */
export function bulkInsertStatement<Row extends { id: string }>(
  dialect: Dialect,
  table: string,
  columns: { readonly [K in keyof Row & string]?: ColumnKind },
  rows: readonly Row[],
  options: InsertOptions = {},
): Prisma.Sql {
  const kinds = columns as Readonly<Record<string, ColumnKind>>;
  const names = Object.keys(kinds);
  const payload = JSON.stringify(rows.map((row) => Object.fromEntries(names.map((n) => [n, jsonValue(dialect, kinds[n] as ColumnKind, row[n as keyof Row])]))));
  const target = Prisma.raw(`${quote(table)} (${names.map(quote).join(', ')})`);
  const source =
    dialect === 'sqlite'
      ? Prisma.sql`SELECT ${Prisma.raw(sqliteSelect(names))} FROM json_each(${payload}) WHERE true`
      : Prisma.sql`SELECT ${Prisma.raw(names.map(quote).join(', '))} FROM jsonb_to_recordset(${payload}::jsonb) AS r(${Prisma.raw(
          names.map((n) => `${quote(n)} ${postgresType(kinds[n] as ColumnKind)}`).join(', '),
        )})`;
  const returning = options.skipConflictsOn && !options.updateConflictsOn ? ' RETURNING "id"' : '';
  return Prisma.sql`INSERT INTO ${target} ${source}${Prisma.raw(conflictClause(names, options) + returning)}`;
}

/** The ON CONFLICT clause the options ask for ('' for none), the same for both ways of inserting. */
function conflictClause(names: readonly string[], options: InsertOptions): string {
  if (options.updateConflictsOn) {
    const conflict = options.updateConflictsOn;
    const keep = options.keepOnUpdate ?? [];
    const sets = names.filter((n) => !conflict.includes(n) && !keep.includes(n)).map((n) => `${quote(n)} = excluded.${quote(n)}`);
    return ` ON CONFLICT (${conflict.map(quote).join(', ')}) DO UPDATE SET ${sets.join(', ')}`;
  }
  if (options.skipConflictsOn) return ` ON CONFLICT (${options.skipConflictsOn.map(quote).join(', ')}) DO NOTHING`;
  return '';
}

/** A column value as Prisma stores it in SQLite, by the column's kind (chosen once per insert). */
function sqliteConverter(kind: ColumnKind): (value: unknown) => unknown {
  const orNull = (f: (v: never) => unknown) => (value: unknown) => (value === null || value === undefined ? null : f(value as never));
  if (kind === 'json') return orNull((v) => JSON.stringify(v));
  if (kind === 'timestamp') return orNull((v: Date | string) => (v instanceof Date ? sqliteTimestamp(v) : v));
  if (kind === 'boolean') return orNull((v: boolean) => (v ? 1 : 0));
  return (value) => value ?? null;
}

/** SQLite: the same INSERT, one prepared statement run per row (no JSON to build or expand). */
function insertRowByRow<Row extends { id: string }>(
  connection: NonNullable<ReturnType<typeof sqliteConnectionOf>>,
  table: string,
  kinds: Readonly<Record<string, ColumnKind>>,
  rows: readonly Row[],
  options: InsertOptions,
): string[] {
  const names = Object.keys(kinds);
  const text = `INSERT INTO ${quote(table)} (${names.map(quote).join(', ')}) VALUES (${names.map(() => '?').join(', ')})${conflictClause(names, options)}`;
  const inserted: string[] = [];
  // Outside a transaction every row would commit (and sync) on its own: one commit for all.
  if (!connection.inTransaction) {
    connection.transaction(() => inserted.push(...insertRowByRow(connection, table, kinds, rows, options)))();
    return inserted;
  }
  const statement = preparedStatement(connection, text);
  const convert = names.map((n) => sqliteConverter(kinds[n] as ColumnKind));
  const values: unknown[] = new Array(names.length);
  for (const row of rows) {
    for (let i = 0; i < names.length; i++) values[i] = (convert[i] as (v: unknown) => unknown)(row[names[i] as keyof Row]);
    const { changes } = statement.run(values);
    if (changes > 0 || !options.skipConflictsOn) inserted.push(row.id);
  }
  return inserted;
}
