import type { Database, Dialect, Prisma as PrismaClient } from '../db/database.ts';
import { execute, sqliteTimestamp } from '../db/sql.ts';
import { Prisma } from '../generated/sqlite/client.ts';
import type { StepEvent, StepEventKind } from './interpreter.ts';
import type { Flow } from './schema.ts';

export type StepCounts = Record<StepEventKind, number>;

export interface FlowStats {
  readonly flowId: string;
  readonly sessions: { readonly started: number; readonly active: number; readonly completed: number; readonly abandoned: number };
  /** In the order of the current flow file; steps only older versions had come last. */
  readonly steps: { readonly stepId: string; readonly counts: StepCounts }[];
}

const EMPTY: StepCounts = { entered: 0, answered: 0, invalid: 0, timed_out: 0, dropped: 0, completed: 0 };
const HOUR_MS = 60 * 60 * 1000;

/** Step events are counted per UTC hour: the start of the hour `at` falls in. */
export const hourOf = (at: Date): Date => new Date(Math.floor(at.getTime() / HOUR_MS) * HOUR_MS);

/**
 * How many entered, answered, answered wrongly, timed out at or dropped out at each step.
 * Step counts are kept per hour, so with `since` they count from the start of the hour it
 * falls in; sessions count from `since` itself.
 */
export async function flowStats(db: Database, flowId: string, flow?: Flow, since?: Date): Promise<FlowStats> {
  const where = { flowId, ...(since ? { hour: { gte: hourOf(since) } } : {}) };
  const grouped = await db.prisma.flowStepCount.groupBy({ by: ['stepId', 'kind'], where, _sum: { count: true } });
  const sessions = await db.prisma.flowSession.groupBy({
    by: ['status'],
    where: { flowId, ...(since ? { createdAt: { gte: since } } : {}) },
    _count: { _all: true },
  });
  const byStep = new Map<string, StepCounts>();
  for (const row of grouped) {
    const counts = byStep.get(row.stepId) ?? { ...EMPTY };
    if (row.kind in counts) counts[row.kind as StepEventKind] += row._sum.count ?? 0;
    byStep.set(row.stepId, counts);
  }
  const order = flow?.steps.map((s) => s.id) ?? [];
  const stepIds = [...order, ...[...byStep.keys()].filter((id) => !order.includes(id)).sort()];
  const count = (status: string) => sessions.find((s) => s.status === status)?._count._all ?? 0;
  return {
    flowId,
    sessions: {
      started: sessions.reduce((n, s) => n + s._count._all, 0),
      active: count('active'),
      completed: count('completed'),
      abandoned: count('abandoned'),
    },
    steps: stepIds.map((stepId) => ({ stepId, counts: byStep.get(stepId) ?? { ...EMPTY } })),
  };
}

/** One counter row: `count` events of `kind` at a step of a flow version in one hour. */
export interface StepCount {
  readonly flowId: string;
  readonly flowVersion: string;
  readonly stepId: string;
  readonly kind: StepEventKind;
  readonly hour: Date;
  count: number;
}

/** The step events of a batch of turns, counted per flow version, step, kind and hour. */
export class StepCounter {
  readonly #counts = new Map<string, StepCount>();

  add(events: readonly StepEvent[], at: Date): void {
    if (events.length === 0) return;
    const hour = hourOf(at);
    for (const e of events) {
      const key = `${e.flowId}\u0000${e.flowVersion}\u0000${e.stepId}\u0000${e.kind}\u0000${hour.getTime()}`;
      const counted = this.#counts.get(key);
      if (counted) counted.count++;
      else this.#counts.set(key, { flowId: e.flowId, flowVersion: e.flowVersion, stepId: e.stepId, kind: e.kind, hour, count: 1 });
    }
  }

  rows(): StepCount[] {
    return [...this.#counts.values()];
  }
}

/**
 * Adds counts to the hourly counters in one statement. Like bulkInsert, the rows travel as one
 * JSON parameter the database expands itself; unlike it, a conflict adds to the stored count
 * instead of replacing it. Each key must appear once (StepCounter makes sure).
 */
export async function addStepCounts(tx: PrismaClient, dialect: Dialect, counts: readonly StepCount[]): Promise<void> {
  if (counts.length === 0) return;
  const hour = (d: Date) => (dialect === 'sqlite' ? sqliteTimestamp(d) : d.toISOString());
  const payload = JSON.stringify(counts.map((c) => [c.flowId, hour(c.hour), c.flowVersion, c.stepId, c.kind, c.count]));
  const source =
    dialect === 'sqlite'
      ? Prisma.sql`SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5 FROM json_each(${payload}) WHERE true`
      : Prisma.sql`SELECT r ->> 0, (r ->> 1)::timestamp(3), r ->> 2, r ->> 3, r ->> 4, (r ->> 5)::integer FROM jsonb_array_elements(${payload}::jsonb) AS r`;
  // A cached statement on the connection (src/db/sql.ts): through Prisma it was prepared again on every batch of turns.
  await execute(
    tx,
    Prisma.sql`INSERT INTO "FlowStepCount" ("flowId", "hour", "flowVersion", "stepId", "kind", "count") ${source}
    ON CONFLICT ("flowId", "hour", "flowVersion", "stepId", "kind") DO UPDATE SET "count" = "FlowStepCount"."count" + excluded."count"`,
  );
}
