/**
 * SQLite plans a query from statistics that only ANALYZE gathers (sqlite_stat1). Without them it
 * takes an equality on any indexed column for a selective one: on a grown database it walked
 * every resolved conversation through the index on (status, channel) to find the previous
 * conversations of a batch's twenty returning customers, instead of looking the customers up by
 * key (100,000 past customers: 24 ms a batch against 35 µs with statistics). SQLite's recommended
 * pattern (https://sqlite.org/lang_analyze.html#recommended_usage_pattern): `PRAGMA
 * optimize=0x10002` once a long-lived connection is open and after schema changes, `PRAGMA
 * optimize` periodically (it analyzes only tables whose size changed a lot since), and an
 * analysis_limit to bound the work (measured at open on that database: 0.13-0.3 s). Run on the
 * connection that plans the queries: one does not reload the statistics another gathered.
 */
const ANALYSIS_LIMIT = 400;

/** How often the statistics are brought up to date while the database is open. */
export const PLANNER_STATISTICS_INTERVAL_MS = 60 * 60_000;

/**
 * Runs the PRAGMAs through `pragma` (given the text after PRAGMA). `opened`: every table is
 * considered (after migrations, at start); `periodic`: only tables that changed a lot.
 */
export async function updatePlannerStatistics(pragma: (text: string) => unknown, when: 'opened' | 'periodic'): Promise<void> {
  await pragma(`analysis_limit = ${ANALYSIS_LIMIT}`);
  // 0x10002: also the tables no query of this connection has used yet (https://sqlite.org/pragma.html#pragma_optimize).
  await pragma(when === 'opened' ? 'optimize = 0x10002' : 'optimize');
}
