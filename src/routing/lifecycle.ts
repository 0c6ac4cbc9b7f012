import type { Logger } from 'pino';
import { z } from 'zod';
import { newId } from '../core/ids.ts';
import { bulkInsert } from '../db/bulk-insert.ts';
import type { Database } from '../db/database.ts';
import type { OutreachPacer } from '../contact/outreach-pace.ts';
import { checkContacts, type ContactPolicy, recordContacts } from '../contact/policy.ts';
import { reachedByWinback, winbackStartJob, type WinbackTarget } from '../flows/winback.ts';
import { type JobDraft, type JobRunner, scheduleJobs } from '../pipeline/jobs.ts';
import { isHumanHandled } from '../pipeline/handler.ts';
import type { RoutingConfig } from './config.ts';
import { CHANGE_COLUMNS } from '../db/columns.ts';

export type Stage = 'new' | 'active' | 'at_risk' | 'churned';
type LifecycleConfig = RoutingConfig['lifecycle'];

export interface CustomerSignals {
  readonly firstSeenAt: Date;
  readonly lastSeenAt: Date;
  readonly complaints: number;
  readonly lastRating?: { kind: 'csat' | 'nps'; score: number };
}

const days = (ms: number) => Math.floor(ms / 86_400_000);

/** A customer's stage and the reasons for it, from activity, complaints and ratings. */
export function computeStage(s: CustomerSignals, c: LifecycleConfig, now: Date): { stage: Stage; reasons: string[] } {
  const idle = now.getTime() - s.lastSeenAt.getTime();
  if (idle >= c.churned_after) return { stage: 'churned', reasons: [`no activity for ${days(idle)} days`] };
  const risks: string[] = [];
  if (idle >= c.at_risk_after) risks.push(`no activity for ${days(idle)} days`);
  if (s.complaints >= c.complaints.count) risks.push(`${s.complaints} complaints in the last ${days(c.complaints.within)} days`);
  if (s.lastRating?.kind === 'csat' && s.lastRating.score <= c.low_csat) risks.push(`last CSAT rating ${s.lastRating.score}`);
  if (s.lastRating?.kind === 'nps' && s.lastRating.score <= c.low_nps) risks.push(`last NPS rating ${s.lastRating.score}`);
  if (risks.length > 0) return { stage: 'at_risk', reasons: risks };
  const age = now.getTime() - s.firstSeenAt.getTime();
  if (age < c.new_for) return { stage: 'new', reasons: [`first seen ${days(age)} days ago`] };
  return { stage: 'active', reasons: [`active ${days(idle)} days ago`] };
}

const SWEEP_JOB = 'lifecycle.sweep';
const SWEEP_EVERY_MS = 60 * 60 * 1000;
const PAGE = 500;

/**
 * Recomputes every customer's stage hourly, records each change with its reasons, and
 * starts the win-back flow once for churned customers the contact policy lets us reach.
 */
export class Lifecycle {
  constructor(
    private readonly db: Database,
    private readonly config: LifecycleConfig,
    private readonly logger: Logger,
    private readonly winbackFlowExists: (flowId: string) => boolean,
    private readonly contactPolicy: ContactPolicy,
    private readonly pacer: OutreachPacer,
  ) {}

  /** The start jobs of win-backs, due within each channel's outreach budget: both win-back sweeps share this one pacer. */
  pace(starts: readonly { readonly channel: string; readonly draft: JobDraft }[], now: Date): JobDraft[] {
    return this.pacer.pace(starts, now);
  }

  register(jobs: JobRunner): void {
    jobs.register(SWEEP_JOB, z.object({}), async (_job, ctx) => {
      await this.sweep(ctx.now);
      const next = Math.floor(ctx.now.getTime() / SWEEP_EVERY_MS) + 1;
      await ctx.write((tx) =>
        scheduleJobs(
          tx,
          this.db.dialect,
          [{ kind: SWEEP_JOB, laneKey: 'lifecycle:sweep', payload: {}, runAt: new Date(next * SWEEP_EVERY_MS), dedupKey: `${SWEEP_JOB}:${next}` }],
          ctx.now,
        ).then(() => {}),
      );
    });
  }

  async scheduleSweep(now: Date): Promise<void> {
    const bucket = Math.floor(now.getTime() / SWEEP_EVERY_MS);
    await this.db.write((tx) =>
      scheduleJobs(tx, this.db.dialect, [{ kind: SWEEP_JOB, laneKey: 'lifecycle:sweep', payload: {}, runAt: now, dedupKey: `${SWEEP_JOB}:${bucket}` }], now),
    );
  }

  /** One pass over all customers; returns how many changed stage. */
  async sweep(now: Date): Promise<number> {
    let changed = 0;
    let after: string | undefined;
    for (;;) {
      const customers = await this.db.prisma.customer.findMany({
        where: { mergedIntoId: null, ...(after ? { id: { gt: after } } : {}) },
        orderBy: { id: 'asc' },
        take: PAGE,
        select: { id: true, lifecycleStage: true, firstSeenAt: true, lastSeenAt: true },
      });
      if (customers.length === 0) break;
      after = customers[customers.length - 1]!.id;
      const ids = customers.map((c) => c.id);
      const complaints = await this.db.prisma.ticket.groupBy({
        by: ['customerId'],
        where: { customerId: { in: ids }, kind: 'complaint', createdAt: { gt: new Date(now.getTime() - this.config.complaints.within) } },
        _count: { _all: true },
      });
      const ratings = await this.db.prisma.surveyResponse.findMany({
        where: { customerId: { in: ids }, createdAt: { lte: now } },
        orderBy: { id: 'desc' },
        select: { customerId: true, kind: true, score: true },
      });
      const lastRating = new Map<string, { kind: 'csat' | 'nps'; score: number }>();
      for (const r of ratings) if (!lastRating.has(r.customerId)) lastRating.set(r.customerId, { kind: r.kind, score: r.score });
      const changes = customers.flatMap((c) => {
        const { stage, reasons } = computeStage(
          { ...c, complaints: complaints.find((x) => x.customerId === c.id)?._count._all ?? 0, lastRating: lastRating.get(c.id) },
          this.config,
          now,
        );
        return stage === c.lifecycleStage ? [] : [{ id: newId(), customerId: c.id, fromStage: c.lifecycleStage, toStage: stage, reasons, at: now }];
      });
      if (changes.length > 0) {
        await this.db.write(async (tx) => {
          await bulkInsert(tx, this.db.dialect, 'LifecycleChange', CHANGE_COLUMNS, changes);
          for (const stage of ['new', 'active', 'at_risk', 'churned'] as const) {
            const of = changes.filter((c) => c.toStage === stage).map((c) => c.customerId);
            if (of.length > 0) await tx.customer.updateMany({ where: { id: { in: of } }, data: { lifecycleStage: stage } });
          }
        });
        changed += changes.length;
      }
      const churned = customers.filter((c) => (changes.find((x) => x.customerId === c.id)?.toStage ?? c.lifecycleStage) === 'churned').map((c) => c.id);
      await this.#winback(churned, now);
    }
    return changed;
  }

  /**
   * Which of these customers a win-back with `flowId` may contact now: those it has not reached
   * yet (its dedup key, shared with the flow engine) whom the contact policy lets us reach on
   * the channel given (src/contact/policy.ts, kind winback). The one rule for win-back
   * paths: this sweep's churned customers and the flow engine's `inactive` trigger (win-back
   * campaigns check the same key and caps in src/campaigns/runner.ts).
   */
  async mayWinBack(flowId: string, customers: readonly WinbackTarget[], now: Date): Promise<Set<string>> {
    if (customers.length === 0) return new Set();
    const done = await reachedByWinback(
      this.db.prisma,
      flowId,
      customers.map((c) => c.customerId),
    );
    const pending = customers.filter((c) => !done.has(c.customerId));
    if (pending.length === 0) return new Set();
    const decisions = await checkContacts(
      this.db,
      pending.map((c) => ({ ...c, kind: 'winback' as const })),
      now,
      this.contactPolicy,
    );
    const allowed = pending.filter((_c, i) => decisions[i]!.allowed).map((c) => c.customerId);
    if (allowed.length < pending.length)
      this.logger.info({ flowId, held: pending.length - allowed.length }, 'lifecycle: win-back held back by the contact policy');
    return new Set(allowed);
  }

  async #winback(customerIds: string[], now: Date): Promise<void> {
    const flowId = this.config.winback_flow;
    if (!flowId || customerIds.length === 0 || !this.winbackFlowExists(flowId)) return;
    const conversations = await this.db.prisma.conversation.findMany({
      where: { customerId: { in: customerIds } },
      orderBy: { lastMessageAt: 'desc' },
      select: { id: true, customerId: true, channel: true, status: true, identity: { select: { address: true } } },
    });
    const reachable = customerIds.flatMap((customerId) => {
      const last = conversations.find((c) => c.customerId === customerId);
      return last && !isHumanHandled(last) ? [{ customerId, last }] : [];
    });
    const allowed = await this.mayWinBack(
      flowId,
      reachable.map((r) => ({ customerId: r.customerId, channel: r.last.channel })),
      now,
    );
    const starts = reachable.filter((r) => allowed.has(r.customerId));
    if (starts.length === 0) return;
    await this.db.write(async (tx) => {
      await scheduleJobs(
        tx,
        this.db.dialect,
        this.pace(
          starts.map((r) => ({ channel: r.last.channel, draft: winbackStartJob(flowId, r.customerId, r.last, now) })),
          now,
        ),
        now,
      );
      await recordContacts(
        tx,
        starts.map((r) => ({ customerId: r.customerId, channel: r.last.channel, kind: 'winback' })),
        now,
      );
    });
  }
}
