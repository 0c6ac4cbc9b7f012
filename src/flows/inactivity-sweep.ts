import { parseDuration } from '../core/duration.ts';
import type { Database } from '../db/database.ts';
import { isHumanHandled } from '../pipeline/handler.ts';
import { type JobContext, type JobDraft, scheduleJobs } from '../pipeline/jobs.ts';
import type { Flow } from './schema.ts';
import { flowsFor } from './triggers.ts';
import { recordContacts } from '../contact/policy.ts';
import { winbackStartJob, type WinbackTarget } from './winback.ts';

/**
 * The `inactive` trigger: an hourly job finds the customers who have not written for a flow's
 * threshold and starts that flow for them, once per customer and flow.
 */
export const SWEEP_JOB = 'flow.inactivity-sweep';
const SWEEP_EVERY_MS = 60 * 60 * 1000;

/** The rule every win-back path follows (routing's Lifecycle). */
export interface WinbackRule {
  /** Which of these customers a win-back with that flow may contact now on that channel (routing's lifecycle rule and the contact policy). */
  mayWinBack(flowId: string, customers: readonly WinbackTarget[], now: Date): Promise<ReadonlySet<string>>;
  /** The start jobs of win-backs, due within each channel's outreach budget (src/contact/outreach-pace.ts). */
  pace(starts: readonly { readonly channel: string; readonly draft: JobDraft }[], now: Date): JobDraft[];
}

/** The sweep of one hour: its dedup key makes it once per hour, however often it is scheduled. */
const sweepJob = (hour: number, runAt: Date): JobDraft => ({ kind: SWEEP_JOB, laneKey: 'flows:sweep', payload: {}, runAt, dedupKey: `${SWEEP_JOB}:${hour}` });

/** Schedules the sweep now when a flow has an inactivity trigger (idempotent). */
export async function scheduleSweep(db: Database, flows: readonly Flow[], now: Date): Promise<void> {
  if (flowsFor(flows, (t) => 'inactive' in t).length === 0) return;
  const hour = Math.floor(now.getTime() / SWEEP_EVERY_MS);
  await db.write((tx) => scheduleJobs(tx, db.dialect, [sweepJob(hour, now)], now).then(() => {}));
}

/**
 * Starts the win-back flow for customers inactive past its threshold, once per customer and
 * flow, then schedules the next hour's sweep. Pages through every inactive customer in id
 * order (`page` at a time): those reached already (or held back) never hide the others.
 */
export async function sweepInactive(ctx: JobContext, flows: readonly Flow[], winback: WinbackRule, page: number): Promise<void> {
  const now = ctx.now;
  for (const { flow, trigger } of flowsFor(flows, (t) => 'inactive' in t)) {
    if (!('inactive' in trigger)) continue;
    const cutoff = new Date(now.getTime() - parseDuration(trigger.inactive));
    for (let after: string | undefined; ;) {
      const customers = await ctx.db.prisma.customer.findMany({
        where: { lastSeenAt: { lt: cutoff }, mergedIntoId: null, ...(after === undefined ? {} : { id: { gt: after } }) },
        orderBy: { id: 'asc' },
        take: page,
        select: {
          id: true,
          conversations: {
            orderBy: { lastMessageAt: 'desc' },
            take: 1,
            select: { id: true, status: true, channel: true, identity: { select: { address: true } } },
          },
        },
      });
      const reachable = customers.filter((c) => c.conversations[0] && !isHumanHandled(c.conversations[0]));
      const allowed = await winback.mayWinBack(
        flow.id,
        reachable.map((c) => ({ customerId: c.id, channel: c.conversations[0]!.channel })),
        now,
      );
      const starts = reachable.flatMap((c) => {
        const last = c.conversations[0];
        if (!last || !allowed.has(c.id)) return [];
        return [{ customerId: c.id, channel: last.channel, kind: 'winback' as const, draft: winbackStartJob(flow.id, c.id, last, now) }];
      });
      if (starts.length > 0)
        await ctx.db.write(async (tx) => {
          await scheduleJobs(tx, ctx.db.dialect, winback.pace(starts, now), now);
          await recordContacts(tx, starts, now);
        });
      if (customers.length < page) break;
      after = customers[customers.length - 1]!.id;
    }
  }
  const next = Math.floor(now.getTime() / SWEEP_EVERY_MS) + 1;
  await ctx.write((tx) => scheduleJobs(tx, ctx.db.dialect, [sweepJob(next, new Date(next * SWEEP_EVERY_MS))], now).then(() => {}));
}
