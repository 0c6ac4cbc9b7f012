import type { Database } from '../db/database.ts';
import type { StepEventKind } from './interpreter.ts';
import type { Flow } from './schema.ts';

export type StepCounts = Record<StepEventKind, number>;

export interface FlowStats {
  readonly flowId: string;
  readonly sessions: { readonly started: number; readonly active: number; readonly completed: number; readonly abandoned: number };
  /** In the order of the current flow file; steps only older versions had come last. */
  readonly steps: { readonly stepId: string; readonly counts: StepCounts }[];
}

const EMPTY: StepCounts = { entered: 0, answered: 0, invalid: 0, timed_out: 0, dropped: 0, completed: 0 };

/** How many entered, answered, answered wrongly, timed out at or dropped out at each step. */
export async function flowStats(db: Database, flowId: string, flow?: Flow, since?: Date): Promise<FlowStats> {
  const where = { flowId, ...(since ? { at: { gte: since } } : {}) };
  const grouped = await db.prisma.flowStepEvent.groupBy({ by: ['stepId', 'kind'], where, _count: { _all: true } });
  const sessions = await db.prisma.flowSession.groupBy({
    by: ['status'],
    where: { flowId, ...(since ? { createdAt: { gte: since } } : {}) },
    _count: { _all: true },
  });
  const byStep = new Map<string, StepCounts>();
  for (const row of grouped) {
    const counts = byStep.get(row.stepId) ?? { ...EMPTY };
    if (row.kind in counts) counts[row.kind as StepEventKind] += row._count._all;
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
