import { AgentFacingError } from '../agent-text/agent-error.ts';
import { z } from 'zod';
import { NotFoundError, UserError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { foldForMatch } from '../core/text.ts';
import type { Database, Prisma as PrismaClient } from '../db/database.ts';
import type { Customer, Prisma } from '../generated/sqlite/client.ts';
import { recordAudit } from './audit.ts';

/** The rows a merge moved, by kind: unmerge moves exactly these back. */
const MovedSchema = z.object({
  identities: z.array(z.string()),
  conversations: z.array(z.string()),
  tickets: z.array(z.string()),
  surveyResponses: z.array(z.string()),
  flowSessions: z.array(z.string()),
});
export type MovedRows = z.infer<typeof MovedSchema>;

/** A value both records had, differently: the kept record's won; the absorbed one's is kept here. */
const ConflictSchema = z.object({ field: z.string(), kept: z.unknown(), absorbed: z.unknown() });
export type MergeConflict = z.infer<typeof ConflictSchema>;

/** The kept customer's fields before the merge, as stored in CustomerMerge.before. */
const BeforeSchema = z.object({
  name: z.string().nullable(),
  locale: z.string().nullable(),
  attributes: z.record(z.string(), z.unknown()),
  tags: z.array(z.string()),
  isKey: z.boolean(),
  keyReason: z.string().nullable(),
  keySource: z.string().nullable(),
  firstSeenAt: z.coerce.date(),
  lastSeenAt: z.coerce.date(),
});

const KINDS = ['identities', 'conversations', 'tickets', 'surveyResponses', 'flowSessions'] as const;

export interface MergeRecord {
  readonly id: string;
  readonly keptId: string;
  readonly absorbedId: string;
  readonly actor: string;
  readonly at: Date;
  readonly moved: MovedRows;
  readonly conflicts: MergeConflict[];
  readonly undoneAt: Date | null;
  readonly undoneBy: string | null;
}

export interface MergeResult {
  readonly mergeId: string;
  readonly customerId: string;
  readonly absorbedId: string;
  /** How many rows of each kind moved. */
  readonly moved: Record<(typeof KINDS)[number], number>;
  readonly attributeConflicts: string[];
  readonly conflicts: MergeConflict[];
}

const differs = (a: unknown, b: unknown) => JSON.stringify(a) !== JSON.stringify(b);

/** The values both records hold differently (the kept one wins each; both are reported). */
function conflictsOf(kept: Customer, absorbed: Customer): MergeConflict[] {
  const conflicts: MergeConflict[] = [];
  if (kept.name && absorbed.name && kept.name !== absorbed.name) conflicts.push({ field: 'name', kept: kept.name, absorbed: absorbed.name });
  if (kept.locale && absorbed.locale && kept.locale !== absorbed.locale) conflicts.push({ field: 'locale', kept: kept.locale, absorbed: absorbed.locale });
  const keptAttributes = kept.attributes as Record<string, unknown>;
  const absorbedAttributes = absorbed.attributes as Record<string, unknown>;
  for (const key of Object.keys(absorbedAttributes)) {
    if (key in keptAttributes && differs(keptAttributes[key], absorbedAttributes[key])) {
      conflicts.push({ field: `attributes.${key}`, kept: keptAttributes[key], absorbed: absorbedAttributes[key] });
    }
  }
  return conflicts;
}

function beforeOf(c: Customer): z.infer<typeof BeforeSchema> {
  return {
    name: c.name,
    locale: c.locale,
    attributes: c.attributes as Record<string, unknown>,
    tags: c.tags as string[],
    isKey: c.isKey,
    keyReason: c.keyReason,
    keySource: c.keySource,
    firstSeenAt: c.firstSeenAt,
    lastSeenAt: c.lastSeenAt,
  };
}

async function rowIds(tx: PrismaClient, customerId: string): Promise<MovedRows> {
  const where = { customerId };
  const select = { id: true } as const;
  // One after the other: a transaction's queries share one connection (pg refuses overlapping ones).
  const ids = (rows: { id: string }[]) => rows.map((r) => r.id);
  return {
    identities: ids(await tx.channelIdentity.findMany({ where, select })),
    conversations: ids(await tx.conversation.findMany({ where, select })),
    tickets: ids(await tx.ticket.findMany({ where, select })),
    surveyResponses: ids(await tx.surveyResponse.findMany({ where, select })),
    flowSessions: ids(await tx.flowSession.findMany({ where, select })),
  };
}

async function moveRows(tx: PrismaClient, rows: MovedRows, customerId: string): Promise<void> {
  const data = { customerId };
  await tx.channelIdentity.updateMany({ where: { id: { in: rows.identities } }, data });
  await tx.conversation.updateMany({ where: { id: { in: rows.conversations } }, data });
  await tx.ticket.updateMany({ where: { id: { in: rows.tickets } }, data });
  await tx.surveyResponse.updateMany({ where: { id: { in: rows.surveyResponses } }, data });
  await tx.flowSession.updateMany({ where: { id: { in: rows.flowSessions } }, data });
}

/**
 * Folds `absorbedId` into `keptId` in `tx`: identities, conversations, tickets, survey answers
 * and flow sessions move; attributes and tags combine (the kept record wins a conflict; the
 * merge record lists both values, and the absorbed record keeps its own); the absorbed record
 * stays as a tombstone pointing at the kept one. The CustomerMerge row makes it undoable.
 */
export async function mergeInTransaction(tx: PrismaClient, keptId: string, absorbedId: string, actor: string, now = new Date()): Promise<MergeResult> {
  if (keptId === absorbedId) throw new AgentFacingError('error.merge_into_itself');
  const kept = await tx.customer.findUnique({ where: { id: keptId } });
  const absorbed = await tx.customer.findUnique({ where: { id: absorbedId } });
  if (!kept) throw new NotFoundError(`customer ${keptId}`);
  if (!absorbed) throw new NotFoundError(`customer ${absorbedId}`);
  for (const c of [kept, absorbed]) {
    if (c.mergedIntoId) throw new AgentFacingError('error.customer_already_merged', { customer: c.id, into: c.mergedIntoId }, 409);
  }
  const moved = await rowIds(tx, absorbedId);
  await moveRows(tx, moved, keptId);
  const conflicts = conflictsOf(kept, absorbed);
  const attributes = { ...(absorbed.attributes as Record<string, unknown>), ...(kept.attributes as Record<string, unknown>) };
  const tags = [...new Set([...(kept.tags as string[]), ...(absorbed.tags as string[])])];
  const name = kept.name ?? absorbed.name;
  const keyFromAbsorbed = !kept.isKey && absorbed.isKey;
  await tx.customer.update({
    where: { id: keptId },
    data: {
      name,
      searchName: name ? foldForMatch(name) : null,
      locale: kept.locale ?? absorbed.locale,
      attributes: attributes as Prisma.InputJsonValue,
      tags,
      isKey: kept.isKey || absorbed.isKey,
      ...(keyFromAbsorbed ? { keyReason: absorbed.keyReason, keySource: absorbed.keySource } : {}),
      firstSeenAt: new Date(Math.min(kept.firstSeenAt.getTime(), absorbed.firstSeenAt.getTime())),
      lastSeenAt: new Date(Math.max(kept.lastSeenAt.getTime(), absorbed.lastSeenAt.getTime())),
    },
  });
  await tx.customer.update({ where: { id: absorbedId }, data: { mergedIntoId: keptId } });
  const mergeId = newId();
  await tx.customerMerge.create({
    data: {
      id: mergeId,
      keptId,
      absorbedId,
      actor,
      at: now,
      moved,
      conflicts: conflicts as Prisma.InputJsonValue,
      before: beforeOf(kept) as Prisma.InputJsonValue,
    },
  });
  const counts = Object.fromEntries(KINDS.map((k) => [k, moved[k].length])) as MergeResult['moved'];
  await recordAudit(tx, {
    actor,
    action: 'customer.merge',
    entityType: 'customer',
    entityId: keptId,
    data: { mergeId, absorbedId, absorbedName: absorbed.name, moved: counts, conflicts },
  });
  const attributeConflicts = conflicts.filter((c) => c.field.startsWith('attributes.')).map((c) => c.field.slice('attributes.'.length));
  return { mergeId, customerId: keptId, absorbedId, moved: counts, attributeConflicts, conflicts };
}

export function mergeCustomers(db: Database, keptId: string, absorbedId: string, actor: string, now = new Date()): Promise<MergeResult> {
  return db.write((tx) => mergeInTransaction(tx, keptId, absorbedId, actor, now));
}

function toRecord(row: {
  id: string;
  keptId: string;
  absorbedId: string;
  actor: string;
  at: Date;
  moved: unknown;
  conflicts: unknown;
  undoneAt: Date | null;
  undoneBy: string | null;
}): MergeRecord {
  return {
    id: row.id,
    keptId: row.keptId,
    absorbedId: row.absorbedId,
    actor: row.actor,
    at: row.at,
    moved: MovedSchema.parse(row.moved),
    conflicts: z.array(ConflictSchema).parse(row.conflicts),
    undoneAt: row.undoneAt,
    undoneBy: row.undoneBy,
  };
}

/** Merges, newest first; of one customer (kept or absorbed) when given. */
export async function listMerges(db: Database, options: { customerId?: string; limit?: number } = {}): Promise<MergeRecord[]> {
  const rows = await db.prisma.customerMerge.findMany({
    where: options.customerId ? { OR: [{ keptId: options.customerId }, { absorbedId: options.customerId }] } : {},
    orderBy: { at: 'desc' },
    take: options.limit ?? 50,
  });
  return rows.map(toRecord);
}

/**
 * Undoes a merge: the rows it moved go back to the absorbed record (those still on the kept
 * one), the kept record's fields are as before, and the absorbed record is live again. Only a
 * customer's latest merge can be undone (an earlier one's "before" would drop the later one's).
 */
export async function unmerge(db: Database, mergeId: string, actor: string, now = new Date()): Promise<MergeRecord> {
  return db.write(async (tx) => {
    const row = await tx.customerMerge.findUnique({ where: { id: mergeId } });
    if (!row) throw new NotFoundError(`merge ${mergeId}`);
    if (row.undoneAt) throw new UserError(`merge ${mergeId} was already undone at ${row.undoneAt.toISOString()} by ${row.undoneBy}`, 409);
    const later = await tx.customerMerge.findFirst({ where: { keptId: row.keptId, undoneAt: null, at: { gt: row.at } }, orderBy: { at: 'desc' } });
    if (later) throw new UserError(`merge ${mergeId}: customer ${row.keptId} had a later merge (${later.id}); undo that one first`, 409);
    const kept = await tx.customer.findUnique({ where: { id: row.keptId } });
    if (kept?.mergedIntoId)
      throw new UserError(`merge ${mergeId}: customer ${row.keptId} was since merged into ${kept.mergedIntoId}; undo that merge first`, 409);
    const record = toRecord(row);
    const before = BeforeSchema.parse(row.before);
    const current = await rowIds(tx, row.keptId);
    const stillThere = (kind: (typeof KINDS)[number]) => record.moved[kind].filter((id) => current[kind].includes(id));
    await moveRows(tx, Object.fromEntries(KINDS.map((k) => [k, stillThere(k)])) as MovedRows, row.absorbedId);
    await tx.customer.update({
      where: { id: row.keptId },
      data: { ...before, searchName: before.name ? foldForMatch(before.name) : null, attributes: before.attributes as Prisma.InputJsonValue },
    });
    await tx.customer.update({ where: { id: row.absorbedId }, data: { mergedIntoId: null } });
    await tx.customerMerge.update({ where: { id: mergeId }, data: { undoneAt: now, undoneBy: actor } });
    // A suggestion that led to this merge was wrong: it is not proposed again.
    await tx.mergeSuggestion.updateMany({ where: { mergeId }, data: { status: 'rejected', decidedAt: now, decidedBy: actor } });
    await recordAudit(tx, { actor, action: 'customer.unmerge', entityType: 'customer', entityId: row.keptId, data: { mergeId, absorbedId: row.absorbedId } });
    return { ...record, undoneAt: now, undoneBy: actor };
  });
}
