import { addressCandidates, unreadPhoneReason } from '../core/address.ts';
import { NotFoundError, UserError } from '../core/errors.ts';
import { foldForMatch } from '../core/text.ts';
import { churnScore } from './churn.ts';
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

/** The search's answer; when a number-like query finds nobody, `hint` says why the number could not be read. */
export async function customerSearch(db: Database, query: string, options: { defaultRegion?: string; limit?: number } = {}) {
  const customers = await searchCustomers(db, query, options);
  const hint = customers.length === 0 ? unreadPhoneReason(query, options.defaultRegion) : undefined;
  return hint ? { customers, hint } : { customers };
}

/** Everything about one customer, as an agent needs it at first contact: with the churn score and the last conversation's transcript. */
/** How many of the last conversation's messages the 360 view shows. */
const LAST_TRANSCRIPT_MESSAGES = 20;

export async function customer360(db: Database, requestedId: string, now = new Date()) {
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
  const churn = await churnScore(db, id, now);
  const last = customer.conversations[0];
  const lastTranscript = last
    ? (
        await db.prisma.message.findMany({
          where: { conversationId: last.id },
          orderBy: { id: 'desc' },
          take: LAST_TRANSCRIPT_MESSAGES,
          select: { direction: true, authorKind: true, isInternalNote: true, text: true, createdAt: true, deliveryStatus: true },
        })
      ).reverse()
    : [];
  return { ...customer, mergedFrom, churn, lastTranscript };
}
