import { NotFoundError, UserError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { recordAudit } from '../crm/audit.ts';
import type { Database, Dialect, Prisma as PrismaClient } from '../db/database.ts';
import type { LocalizedText } from '../flows/schema.ts';
import type { CampaignStatus } from '../generated/sqlite/enums.ts';
import { formatZodIssues } from '../pipeline/inbox.ts';
import { scheduleJobs } from '../pipeline/jobs.ts';
import { InputRejected } from './rejected.ts';
import { runStartsAt } from './schedule.ts';
import { getSegment } from './segments.ts';
import { type CampaignSpec, CampaignInputSchema, CampaignSpecSchema } from './spec.ts';

export const TARGET_JOB = 'campaign.target';
export const SEND_JOB = 'campaign.send';
export const campaignLane = (campaignId: string): string => `campaign:${campaignId}`;

export interface VariantView {
  readonly id: string;
  readonly name: string;
  readonly weight: number;
  readonly flowId: string | null;
  readonly texts: LocalizedText | null;
}

export interface CampaignView {
  readonly id: string;
  readonly name: string;
  readonly segmentId: string;
  readonly status: CampaignStatus;
  readonly run: number;
  readonly spec: CampaignSpec;
  readonly variants: VariantView[];
  readonly createdAt: Date;
  readonly startedAt: Date | null;
  readonly endedAt: Date | null;
}

type CampaignRow = Awaited<ReturnType<typeof readRow>>;
const readRow = (client: PrismaClient, where: { id: string } | { name: string }) =>
  client.campaign.findUnique({ where, include: { variants: { orderBy: { name: 'asc' } } } });

function toView(row: NonNullable<CampaignRow>): CampaignView {
  const spec = CampaignSpecSchema.safeParse(row.spec);
  if (!spec.success) throw new UserError(`campaign "${row.name}" holds an invalid spec: ${formatZodIssues(spec.error)}`, 500);
  return {
    id: row.id,
    name: row.name,
    segmentId: row.segmentId,
    status: row.status,
    run: row.run,
    spec: spec.data,
    variants: row.variants.map((v) => ({ id: v.id, name: v.name, weight: v.weight, flowId: v.flowId, texts: (v.texts as LocalizedText | null) ?? null })),
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    endedAt: row.endedAt,
  };
}

/**
 * Stores a campaign as a draft. `flowExists` checks flow ids against the loaded flows, so a
 * typo is refused now rather than failing every recipient later.
 */
export async function addCampaign(db: Database, input: unknown, flowExists: (id: string) => boolean, actor: string): Promise<CampaignView> {
  const parsed = CampaignInputSchema.safeParse(input);
  if (!parsed.success) throw new InputRejected('campaign', parsed.error.issues);
  const c = parsed.data;
  const segment = await getSegment(db, c.segment);
  const variants = c.variants ?? [{ name: 'A', weight: 1, flow: c.flow, text: c.text }];
  variants.forEach((v, i) => {
    if (v.flow !== undefined && !flowExists(v.flow))
      throw new InputRejected('campaign', [{ path: c.variants ? ['variants', i, 'flow'] : ['flow'], message: `no loaded flow has the id "${v.flow}"` }]);
  });
  const spec: CampaignSpec = { channel: c.channel, schedule: c.schedule, quietHours: c.quietHours, goal: c.goal, purpose: c.purpose, kind: c.kind };
  return db.write(async (tx) => {
    if (await tx.campaign.findUnique({ where: { name: c.name }, select: { id: true } }))
      throw new UserError(`a campaign named "${c.name}" exists already`, 409);
    const id = newId();
    await tx.campaign.create({ data: { id, name: c.name, segmentId: segment.id, spec: spec as never }, select: { id: true } });
    for (const v of variants) {
      await tx.campaignVariant.create({
        data: { id: newId(), campaignId: id, name: v.name, weight: v.weight, flowId: v.flow ?? null, texts: (v.text ?? undefined) as never },
        select: { id: true },
      });
    }
    await recordAudit(tx, { actor, action: 'campaign.add', entityType: 'campaign', entityId: id, data: { name: c.name, segment: segment.name } });
    return toView((await readRow(tx, { id }))!);
  });
}

export async function listCampaigns(db: Database): Promise<CampaignView[]> {
  const rows = await db.prisma.campaign.findMany({ orderBy: { createdAt: 'desc' }, include: { variants: { orderBy: { name: 'asc' } } } });
  return rows.map(toView);
}

/** A campaign by id or name. */
export async function getCampaign(db: Database | { prisma: PrismaClient }, idOrName: string): Promise<CampaignView> {
  const row = (await readRow(db.prisma, { id: idOrName })) ?? (await readRow(db.prisma, { name: idOrName }));
  if (!row) throw new NotFoundError(`campaign "${idOrName}"`);
  return toView(row);
}

/** The first run's targeting job: at the earliest moment any customer's send time comes, or now. */
export function firstRunAt(spec: CampaignSpec, now: Date): Date {
  if (!spec.schedule.date) return now;
  const at = runStartsAt(spec.schedule.date, spec.schedule.time);
  return at > now ? at : now;
}

/** A campaign job that joins its lane at its run time, so it never holds up earlier ones. */
export function campaignJob(kind: typeof TARGET_JOB | typeof SEND_JOB, campaignId: string, runAt: Date, payload: object, dedup?: string) {
  return { kind, laneKey: campaignLane(campaignId), payload: { campaignId, ...payload }, runAt, queuedAt: runAt, dedupKey: dedup };
}

async function transition(
  db: Database,
  idOrName: string,
  from: readonly CampaignStatus[],
  to: CampaignStatus,
  actor: string,
  now: Date,
  then?: (tx: PrismaClient, dialect: Dialect, campaign: CampaignView) => Promise<void>,
): Promise<CampaignView> {
  const campaign = await getCampaign(db, idOrName);
  return db.write(async (tx) => {
    const changed = await tx.campaign.updateMany({
      where: { id: campaign.id, status: { in: [...from] } },
      data: { status: to, ...(to === 'running' && !campaign.startedAt ? { startedAt: now } : {}), ...(to === 'cancelled' ? { endedAt: now } : {}) },
    });
    if (changed.count === 0) {
      const current = (await tx.campaign.findUnique({ where: { id: campaign.id }, select: { status: true } }))?.status;
      throw new UserError(`campaign "${campaign.name}" is ${current}: only a ${from.join(' or ')} campaign can be made ${to}`, 409);
    }
    await then?.(tx, db.dialect, campaign);
    await recordAudit(tx, { actor, action: `campaign.${to}`, entityType: 'campaign', entityId: campaign.id, data: {} });
    return toView((await readRow(tx, { id: campaign.id }))!);
  });
}

/** Starts a draft: its first run is targeted at once, or when its date comes. */
export const startCampaign = (db: Database, idOrName: string, actor: string, now: Date) =>
  transition(db, idOrName, ['draft'], 'running', actor, now, async (tx, dialect, c) => {
    await scheduleJobs(tx, dialect, [campaignJob(TARGET_JOB, c.id, firstRunAt(c.spec, now), { run: 1 }, `${TARGET_JOB}:${c.id}:1`)], now);
  });

/** Holds the sends; recipients keep their places and go on resume (past quiet hours and the cap, checked again). */
export const pauseCampaign = (db: Database, idOrName: string, actor: string, now: Date) => transition(db, idOrName, ['running'], 'paused', actor, now);

export const resumeCampaign = (db: Database, idOrName: string, actor: string, now: Date) =>
  transition(db, idOrName, ['paused'], 'running', actor, now, async (tx, dialect, c) => {
    await scheduleJobs(tx, dialect, [campaignJob(SEND_JOB, c.id, now, {})], now);
  });

/** Stops for good: whoever still waits is skipped as cancelled; what is queued already goes out. */
export const cancelCampaign = (db: Database, idOrName: string, actor: string, now: Date) =>
  transition(db, idOrName, ['draft', 'running', 'paused'], 'cancelled', actor, now, async (tx, _dialect, c) => {
    await tx.campaignRecipient.updateMany({ where: { campaignId: c.id, status: 'scheduled' }, data: { status: 'skipped', skipReason: 'cancelled' } });
  });
