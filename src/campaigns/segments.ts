import { z } from 'zod';
import { NotFoundError, UserError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { recordAudit } from '../crm/audit.ts';
import { churnScores } from '../crm/churn.ts';
import type { Database } from '../db/database.ts';
import { formatZodIssues } from '../pipeline/inbox.ts';
import { InputRejected } from './rejected.ts';
import { matchesChurn, type SegmentFilter, SegmentFilterSchema, segmentWhere } from './segment-filter.ts';

export const SegmentInputSchema = z
  .object({
    name: z.string().trim().min(1, 'a segment needs a name').max(100),
    description: z.string().max(500).optional(),
    filter: SegmentFilterSchema,
  })
  .strict();
export type SegmentInput = z.input<typeof SegmentInputSchema>;

export interface SegmentView {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly filter: SegmentFilter;
  readonly createdAt: Date;
}

/** A stored filter read back: a row that no longer fits the schema names itself. */
function toView(row: { id: string; name: string; description: string | null; filter: unknown; createdAt: Date }): SegmentView {
  const filter = SegmentFilterSchema.safeParse(row.filter);
  if (!filter.success) throw new UserError(`segment "${row.name}" holds an invalid filter: ${formatZodIssues(filter.error)}`, 500);
  return { id: row.id, name: row.name, description: row.description, filter: filter.data, createdAt: row.createdAt };
}

export async function addSegment(db: Database, input: unknown, actor: string): Promise<SegmentView> {
  const parsed = SegmentInputSchema.safeParse(input);
  if (!parsed.success) throw new InputRejected('segment', parsed.error.issues);
  const { name, description, filter } = parsed.data;
  return db.write(async (tx) => {
    if (await tx.segment.findUnique({ where: { name }, select: { id: true } })) throw new UserError(`a segment named "${name}" exists already`, 409);
    const row = await tx.segment.create({ data: { id: newId(), name, description: description ?? null, filter } });
    await recordAudit(tx, { actor, action: 'segment.add', entityType: 'segment', entityId: row.id, data: { name, filter } });
    return toView(row);
  });
}

export async function listSegments(db: Database): Promise<SegmentView[]> {
  return (await db.prisma.segment.findMany({ orderBy: { name: 'asc' } })).map(toView);
}

/** A segment by id or name. */
export async function getSegment(db: Database, idOrName: string): Promise<SegmentView> {
  const row = (await db.prisma.segment.findUnique({ where: { id: idOrName } })) ?? (await db.prisma.segment.findUnique({ where: { name: idOrName } }));
  if (!row) throw new NotFoundError(`segment "${idOrName}"`);
  return toView(row);
}

const PAGE = 1000;

/**
 * The ids of the customers in a segment, page by page in id order (a campaign reads 10,000s);
 * the churn score, when the filter has one, is computed per page.
 */
export async function* segmentPages(db: Database, filter: SegmentFilter, now: Date, page = PAGE): AsyncGenerator<string[]> {
  const where = await segmentWhere(db, filter, now);
  for (let after: string | undefined; ;) {
    const rows = await db.prisma.customer.findMany({
      where: after === undefined ? where : { AND: [where, { id: { gt: after } }] },
      orderBy: { id: 'asc' },
      take: page,
      select: { id: true },
    });
    if (rows.length === 0) return;
    const ids = rows.map((r) => r.id);
    if (filter.churn) {
      const scores = await churnScores(db, ids, now);
      yield scores.filter((s) => matchesChurn(filter, s.score)).map((s) => s.customerId);
    } else yield ids;
    if (rows.length < page) return;
    after = ids[ids.length - 1];
  }
}

export interface SegmentPreview {
  readonly count: number;
  readonly sample: { id: string; name: string | null; locale: string | null; lifecycleStage: string; lastSeenAt: Date }[];
}

/** How many customers a filter finds now, and the first 10 of them. */
export async function previewSegment(db: Database, filter: SegmentFilter, now: Date): Promise<SegmentPreview> {
  let count = 0;
  const firstIds: string[] = [];
  if (filter.churn) {
    for await (const ids of segmentPages(db, filter, now)) {
      count += ids.length;
      firstIds.push(...ids.slice(0, 10 - firstIds.length));
    }
  } else {
    const where = await segmentWhere(db, filter, now);
    count = await db.prisma.customer.count({ where });
    firstIds.push(...(await db.prisma.customer.findMany({ where, orderBy: { id: 'asc' }, take: 10, select: { id: true } })).map((r) => r.id));
  }
  const sample = await db.prisma.customer.findMany({
    where: { id: { in: firstIds } },
    orderBy: { id: 'asc' },
    select: { id: true, name: true, locale: true, lifecycleStage: true, lastSeenAt: true },
  });
  return { count, sample };
}
