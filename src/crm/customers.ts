import { addressCandidates } from '../core/address.ts';
import { NotFoundError, UserError } from '../core/errors.ts';
import { recordAudit } from './audit.ts';
import { foldForMatch } from '../core/text.ts';
import type { Database } from '../db/database.ts';
import { escapeLike, queryRows, sql } from '../db/sql.ts';
import type { Prisma } from '../generated/sqlite/client.ts';

export interface CustomerSearchResult {
  readonly id: string;
  readonly name: string | null;
  readonly locale: string | null;
  readonly isKey: boolean;
  readonly lastSeenAt: Date;
  readonly identities: { channel: string; address: string }[];
}

/** By name (any case, letter variant or digit system), phone (any format) or email. */
export async function searchCustomers(db: Database, query: string, options: { defaultRegion?: string; limit?: number } = {}): Promise<CustomerSearchResult[]> {
  const text = query.trim();
  if (!text) throw new UserError('search: give a name, phone number or email address to search for');
  const addresses = addressCandidates(text, options.defaultRegion).map((c) => c.value);
  const limit = options.limit ?? 50;
  // Prisma's `contains` passes % and _ through as LIKE wildcards: the name match is our own LIKE with them escaped.
  const byName = await queryRows(
    db.prisma,
    sql`SELECT id FROM "Customer" WHERE "mergedIntoId" IS NULL AND "searchName" LIKE ${`%${escapeLike(foldForMatch(text))}%`} ESCAPE '\\'
        ORDER BY "lastSeenAt" DESC LIMIT ${limit}`,
  );
  const or: Prisma.CustomerWhereInput[] = [{ id: { in: byName.map((row) => String(row.id)) } }];
  if (addresses.length > 0) or.push({ identities: { some: { address: { in: addresses } } } });
  const customers = await db.prisma.customer.findMany({
    where: { mergedIntoId: null, OR: or },
    include: { identities: { select: { channel: true, address: true } } },
    orderBy: { lastSeenAt: 'desc' },
    take: limit,
  });
  return customers.map((c) => ({ id: c.id, name: c.name, locale: c.locale, isKey: c.isKey, lastSeenAt: c.lastSeenAt, identities: c.identities }));
}

/** Everything about one customer, as an agent needs it at first contact. */
export async function customer360(db: Database, requestedId: string) {
  // A merged record answers with the customer it was merged into.
  const requested = await db.prisma.customer.findUnique({ where: { id: requestedId }, select: { mergedIntoId: true } });
  if (!requested) throw new NotFoundError(`customer ${requestedId}`);
  const id = requested.mergedIntoId ?? requestedId;
  const customer = await db.prisma.customer.findUnique({
    where: { id },
    include: {
      identities: { orderBy: { createdAt: 'asc' } },
      conversations: { orderBy: { lastMessageAt: 'desc' }, take: 50, include: { _count: { select: { messages: true } } } },
      tickets: { orderBy: { createdAt: 'desc' } },
      surveyResponses: { orderBy: { createdAt: 'desc' } },
    },
  });
  if (!customer) throw new NotFoundError(`customer ${id}`);
  const mergedFrom = await db.prisma.customer.findMany({ where: { mergedIntoId: id }, select: { id: true, name: true } });
  return { ...customer, mergedFrom };
}

function mergeAttributes(kept: Record<string, unknown>, absorbed: Record<string, unknown>) {
  const conflicts = Object.keys(absorbed).filter((k) => k in kept && JSON.stringify(kept[k]) !== JSON.stringify(absorbed[k]));
  return { attributes: { ...absorbed, ...kept }, conflicts };
}

export interface MergeResult {
  readonly customerId: string;
  readonly absorbedId: string;
  readonly moved: { identities: number; conversations: number; tickets: number; surveyResponses: number; flowSessions: number };
  readonly attributeConflicts: string[];
}

/**
 * Folds `absorbedId` into `keptId`: identities, conversations, tickets, survey answers and
 * flow sessions move; attributes and tags combine (the kept record wins a conflict, which
 * the audit entry lists); the absorbed record stays as a tombstone pointing at the kept one.
 */
export async function mergeCustomers(db: Database, keptId: string, absorbedId: string, actor: string): Promise<MergeResult> {
  if (keptId === absorbedId) throw new UserError('merge: a customer cannot be merged into itself');
  return db.write(async (tx) => {
    // One after the other: a transaction's queries share one connection (pg refuses overlapping ones).
    const kept = await tx.customer.findUnique({ where: { id: keptId } });
    const absorbed = await tx.customer.findUnique({ where: { id: absorbedId } });
    if (!kept) throw new NotFoundError(`customer ${keptId}`);
    if (!absorbed) throw new NotFoundError(`customer ${absorbedId}`);
    for (const c of [kept, absorbed]) {
      if (c.mergedIntoId) throw new UserError(`merge: customer ${c.id} was already merged into ${c.mergedIntoId}; merge into that one`, 409);
    }
    const where = { customerId: absorbedId };
    const data = { customerId: keptId };
    const moved = {
      identities: (await tx.channelIdentity.updateMany({ where, data })).count,
      conversations: (await tx.conversation.updateMany({ where, data })).count,
      tickets: (await tx.ticket.updateMany({ where, data })).count,
      surveyResponses: (await tx.surveyResponse.updateMany({ where, data })).count,
      flowSessions: (await tx.flowSession.updateMany({ where, data })).count,
    };
    const { attributes, conflicts } = mergeAttributes(kept.attributes as Record<string, unknown>, absorbed.attributes as Record<string, unknown>);
    const tags = [...new Set([...(kept.tags as string[]), ...(absorbed.tags as string[])])];
    const name = kept.name ?? absorbed.name;
    await tx.customer.update({
      where: { id: keptId },
      data: {
        name,
        searchName: name ? foldForMatch(name) : null,
        locale: kept.locale ?? absorbed.locale,
        attributes: attributes as Prisma.InputJsonValue,
        tags,
        isKey: kept.isKey || absorbed.isKey,
        firstSeenAt: new Date(Math.min(kept.firstSeenAt.getTime(), absorbed.firstSeenAt.getTime())),
        lastSeenAt: new Date(Math.max(kept.lastSeenAt.getTime(), absorbed.lastSeenAt.getTime())),
      },
    });
    await tx.customer.update({ where: { id: absorbedId }, data: { mergedIntoId: keptId } });
    await recordAudit(tx, {
      actor,
      action: 'customer.merge',
      entityType: 'customer',
      entityId: keptId,
      data: { absorbedId, absorbedName: absorbed.name, moved, attributeConflicts: conflicts },
    });
    return { customerId: keptId, absorbedId, moved, attributeConflicts: conflicts };
  });
}
