import { normalizeAddress, type AddressKind } from '../core/address.ts';
import { AgentFacingError } from '../agent-text/agent-error.ts';
import { NotFoundError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { Database, Dialect, Prisma as PrismaClient } from '../db/database.ts';
import { inList, join, queryRows, raw, sql, type Sql } from '../db/sql.ts';
import type { MergeSuggestion } from '../generated/sqlite/client.ts';
import { recordAudit } from './audit.ts';
import { mergeInTransaction, type MergeResult } from './merges.ts';

/** Customer attributes that hold an address a flow collected: a match with another record is proposed. */
export const ADDRESS_ATTRIBUTES: Readonly<Record<string, 'email' | 'phone'>> = { email: 'email', phone: 'phone', mobile: 'phone' };

/** The address attributes that hold addresses of this kind (an email is never looked for among phone numbers). */
const attributeKeysOf = (kind: 'email' | 'phone'): string[] =>
  Object.entries(ADDRESS_ATTRIBUTES)
    .filter(([, k]) => k === kind)
    .map(([key]) => key);

export type SuggestionStatus = 'pending' | 'accepted' | 'rejected';

/**
 * Proposes merging `customerId` with every other live customer that has `address` (an identity
 * on any channel, or the same attribute a flow collected). Written in `tx`; a pair already
 * proposed (either way round, whatever its status) is not proposed again. Returns the new ones.
 */
export async function proposeMatches(
  tx: PrismaClient,
  dialect: Database['dialect'],
  customerId: string,
  kind: 'email' | 'phone',
  rawAddress: string,
  defaultRegion?: string,
): Promise<MergeSuggestion[]> {
  let address: string;
  try {
    address = normalizeAddress(kind as AddressKind, rawAddress, defaultRegion);
  } catch {
    return []; // Not an address (the flow's validation let text through): nothing to match.
  }
  const byIdentity = await tx.channelIdentity.findMany({ where: { address, customerId: { not: customerId } }, select: { customerId: true } });
  const byAttribute = (await liveCustomersHolding(tx, dialect, attributeKeysOf(kind), [address])).filter((c) => c.id !== customerId);
  const others = [...new Set([...byIdentity.map((i) => i.customerId), ...byAttribute.map((c) => c.id)])];
  const created: MergeSuggestion[] = [];
  for (const otherId of others) {
    const pair = await tx.customer.findMany({ where: { id: { in: [customerId, otherId] }, mergedIntoId: null }, orderBy: { firstSeenAt: 'asc' } });
    if (pair.length !== 2) continue;
    const [older, newer] = pair as [(typeof pair)[0], (typeof pair)[0]];
    const known = await tx.mergeSuggestion.findFirst({
      where: {
        OR: [
          { customerId: older.id, otherId: newer.id },
          { customerId: newer.id, otherId: older.id },
        ],
      },
    });
    if (known) continue;
    created.push(await tx.mergeSuggestion.create({ data: { id: newId(), customerId: older.id, otherId: newer.id, matchedBy: kind, value: address } }));
  }
  return created;
}

/**
 * proposeMatches for many new customers at once (an inbound batch's), each with its normalized
 * address: two queries find which of them another live record shares an address with (nearly
 * always none), and only those go through proposeMatches. One query per customer scanned every
 * customer's attributes on SQLite, a cost that grew with the table on every first message.
 */
export async function proposeMatchesOfMany(
  tx: PrismaClient,
  dialect: Dialect,
  candidates: readonly { customerId: string; kind: 'email' | 'phone'; address: string }[],
): Promise<MergeSuggestion[]> {
  if (candidates.length === 0) return [];
  const addresses = [...new Set(candidates.map((c) => c.address))];
  const identities = await queryRows(tx, sql`SELECT "customerId", "address" FROM "ChannelIdentity" WHERE ${inList(dialect, sql`"address"`, addresses)}`);
  const holders = new Map<string, Set<string>>();
  const hold = (address: unknown, customerId: unknown) => {
    if (typeof address !== 'string') return;
    const set = holders.get(address) ?? new Set<string>();
    holders.set(address, set.add(customerId as string));
  };
  for (const row of identities) hold(row.address, row.customerId);
  // Each attribute with the addresses of its kind: WhatsApp's and SMS's first messages query no
  // email attribute (on PostgreSQL that query, 200 phone numbers long, was estimated to match
  // most customers and read them all: 27-83 ms at 100,000 customers).
  for (const kind of ['email', 'phone'] as const) {
    const ofKind = [...new Set(candidates.filter((c) => c.kind === kind).map((c) => c.address))];
    for (const row of await liveCustomersHolding(tx, dialect, attributeKeysOf(kind), ofKind)) hold(row.address, row.id);
  }
  const created: MergeSuggestion[] = [];
  for (const c of candidates) {
    const others = [...(holders.get(c.address) ?? [])].filter((id) => id !== c.customerId);
    if (others.length > 0) created.push(...(await proposeMatches(tx, dialect, c.customerId, c.kind, c.address)));
  }
  return created;
}

/**
 * Live customers whose attribute `key` (one of ADDRESS_ATTRIBUTES) holds one of `addresses`,
 * each with the address it holds. One SELECT per attribute, joined by UNION ALL, so that each
 * uses its expression index (migration customer_hand_written_indexes): an OR of the three
 * made SQLite read every customer's attributes (36-67 ms a call at 100,000 customers, 0.01 ms
 * now), on the first message of every new customer.
 */
export async function liveCustomersHolding(
  tx: PrismaClient,
  dialect: Dialect,
  keys: readonly string[],
  addresses: readonly string[],
): Promise<{ id: string; address: string }[]> {
  if (keys.length === 0 || addresses.length === 0) return [];
  const rows = await queryRows(tx, liveCustomersHoldingQuery(dialect, keys, addresses));
  return rows.map((row) => ({ id: row.id as string, address: row.address as string }));
}

/** The statement of liveCustomersHolding (its plan is checked in test/crm.suggestions.test.ts). */
export function liveCustomersHoldingQuery(dialect: Dialect, keys: readonly string[], addresses: readonly string[]): Sql {
  const selects = keys.map((key) => {
    if (!(key in ADDRESS_ATTRIBUTES)) throw new Error(`"${key}" is not an address attribute (${Object.keys(ADDRESS_ATTRIBUTES).join(', ')})`);
    // Written exactly as in the index, or the index is not used.
    const attribute = raw(dialect === 'sqlite' ? `json_extract("attributes", '$.${key}')` : `("attributes" ->> '${key}')`);
    return sql`SELECT "id", ${attribute} AS "address" FROM "Customer" WHERE "mergedIntoId" IS NULL AND ${inList(dialect, attribute, addresses)}`;
  });
  return join(selects, ' UNION ALL ');
}

/** The address attributes among `values` (a flow's attribute effect), for proposeMatches. */
export function addressAttributes(values: Record<string, unknown>): { kind: 'email' | 'phone'; value: string }[] {
  return Object.entries(values).flatMap(([key, value]) => {
    const kind = ADDRESS_ATTRIBUTES[key];
    return kind && typeof value === 'string' && value.trim() ? [{ kind, value }] : [];
  });
}

export async function listSuggestions(db: Database, options: { status?: SuggestionStatus; customerId?: string; limit?: number } = {}) {
  return db.prisma.mergeSuggestion.findMany({
    where: {
      status: options.status,
      ...(options.customerId ? { OR: [{ customerId: options.customerId }, { otherId: options.customerId }] } : {}),
    },
    orderBy: { createdAt: 'desc' },
    take: options.limit ?? 50,
  });
}

/**
 * Accepts (merges the newer record into the older) or rejects a pending suggestion. `by` is
 * who decided: "cli", "api", "agent:<id>".
 */
export async function decideSuggestion(
  db: Database,
  suggestionId: string,
  decision: 'accept' | 'reject',
  by: string,
  now = new Date(),
): Promise<{ suggestion: MergeSuggestion; merge?: MergeResult }> {
  return db.write(async (tx) => {
    const suggestion = await tx.mergeSuggestion.findUnique({ where: { id: suggestionId } });
    if (!suggestion) throw new NotFoundError(`merge suggestion ${suggestionId}`);
    if (suggestion.status !== 'pending') {
      const values = { suggestion: suggestionId, by: String(suggestion.decidedBy), at: String(suggestion.decidedAt?.toISOString()) };
      throw new AgentFacingError(suggestion.status === 'accepted' ? 'error.suggestion_decided.accepted' : 'error.suggestion_decided.rejected', values, 409);
    }
    if (decision === 'reject') {
      const updated = await tx.mergeSuggestion.update({ where: { id: suggestionId }, data: { status: 'rejected', decidedAt: now, decidedBy: by } });
      await recordAudit(tx, { actor: by, action: 'customer.merge_rejected', entityType: 'customer', entityId: suggestion.customerId, data: { suggestionId } });
      return { suggestion: updated };
    }
    const merge = await mergeInTransaction(tx, suggestion.customerId, suggestion.otherId, by, now);
    const updated = await tx.mergeSuggestion.update({
      where: { id: suggestionId },
      data: { status: 'accepted', decidedAt: now, decidedBy: by, mergeId: merge.mergeId },
    });
    return { suggestion: updated, merge };
  });
}
