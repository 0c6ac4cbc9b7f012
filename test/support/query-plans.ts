import type { Database } from '../../src/db/database.ts';
import pg from 'pg';
import { pgConnectionOf, sqliteConnectionOf } from '../../src/db/sql.ts';

/** The queues' partial indexes (pending events, unsent rows): a scan of one reads the backlog only. */
export const QUEUE_INDEX_SCAN = /USING (COVERING )?INDEX (InboxEvent_laneKey_id_idx|OutboxItem_(laneKey_id|channel_id_pending|channel_id_sending)_idx)/;

/**
 * Records the text of every statement prepared on a SQLite database's connection (each is
 * prepared once, then cached) until `stop()`, and how many rows each returned (`rowsOf`, counted
 * until `stop()`); `planOf` gives one's plan (EXPLAIN QUERY PLAN, every parameter null), one line
 * a step.
 */
export function recordStatements(db: Database): {
  readonly texts: Set<string>;
  stop(): void;
  planOf(text: string): string[];
  rowsOf(text: string): number;
} {
  const handle = sqliteConnectionOf(db.prisma);
  if (!handle) throw new Error('no SQLite connection');
  const texts = new Set<string>();
  const rows = new Map<string, number>();
  let recording = true;
  const prepare = handle.prepare.bind(handle);
  handle.prepare = ((text: string) => {
    texts.add(text);
    const statement = prepare(text);
    const all = statement.all.bind(statement);
    statement.all = ((...params: unknown[]) => {
      const result = all(...params);
      if (recording) rows.set(text, (rows.get(text) ?? 0) + result.length);
      return result;
    }) as typeof statement.all;
    return statement;
  }) as typeof handle.prepare;
  return {
    texts,
    rowsOf: (text) => rows.get(text) ?? 0,
    stop: () => {
      recording = false;
      handle.prepare = prepare;
    },
    planOf: (text) =>
      prepare(`EXPLAIN QUERY PLAN ${text}`)
        .all(...Array.from({ length: text.split('?').length - 1 }, () => null))
        .map((row) => (row as { detail: string }).detail),
  };
}

/** One step of a PostgreSQL plan that reads a table: its node type, table, alias and index (EXPLAIN's JSON). */
export interface PgTableRead {
  readonly node: string;
  readonly table: string;
  readonly alias: string;
  readonly index?: string;
}

/**
 * Records every statement a pg client runs (the pool's, and each transaction's connection) until
 * `stop()`, with its parameters; `readsOf` gives how its plan reads each table (EXPLAIN, not run).
 */
export function recordPgStatements(db: Database): {
  readonly statements: { readonly text: string; readonly values: unknown[] }[];
  stop(): void;
  readsOf(statement: { readonly text: string; readonly values: unknown[] }): Promise<PgTableRead[]>;
} {
  const connection = pgConnectionOf(db.prisma);
  if (!connection) throw new Error('no PostgreSQL pool');
  const statements: { text: string; values: unknown[] }[] = [];
  const prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const query = prototype.query;
  prototype.query = function (this: unknown, ...args: unknown[]) {
    const [config, values] = args as [{ text?: string; values?: unknown[] } | string, unknown[] | undefined];
    if (typeof config === 'object' && config !== null && typeof config.text === 'string') statements.push({ text: config.text, values: config.values ?? [] });
    else if (typeof config === 'string') statements.push({ text: config, values: Array.isArray(values) ? values : [] });
    return query.apply(this, args);
  };
  return {
    statements,
    stop: () => {
      prototype.query = query;
    },
    readsOf: (statement) => planReads(db, statement),
  };
}

const tableReads = (plan: Record<string, unknown>): PgTableRead[] => [
  ...(typeof plan['Relation Name'] === 'string'
    ? [{ node: plan['Node Type'] as string, table: plan['Relation Name'], alias: plan.Alias as string, index: plan['Index Name'] as string | undefined }]
    : []),
  ...((plan.Plans as Record<string, unknown>[] | undefined) ?? []).flatMap(tableReads),
];

/** How PostgreSQL's plan of a statement reads each table (EXPLAIN, not run). */
export async function planReads(db: Database, statement: { readonly text: string; readonly values: readonly unknown[] }): Promise<PgTableRead[]> {
  const connection = pgConnectionOf(db.prisma);
  if (!connection) throw new Error('no PostgreSQL pool');
  const result = (await connection.query({ text: `EXPLAIN (FORMAT JSON) ${statement.text}`, values: [...statement.values] } as never)) as unknown as {
    rows: { 'QUERY PLAN': { Plan: Record<string, unknown> }[] }[];
  };
  return tableReads((result.rows[0]?.['QUERY PLAN'][0] as { Plan: Record<string, unknown> }).Plan);
}
