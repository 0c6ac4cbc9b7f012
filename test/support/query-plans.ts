import type { Database } from '../../src/db/database.ts';
import { sqliteConnectionOf } from '../../src/db/sql.ts';

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
