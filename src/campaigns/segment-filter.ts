import { z } from 'zod';
import { parseSince } from '../core/duration.ts';
import type { Database, Dialect, PrismaNamespace } from '../db/database.ts';
import { inList, queryRows, sql } from '../db/sql.ts';
import { Prisma } from '../generated/sqlite/client.ts';
import { LifecycleStage, SurveyKind } from '../generated/sqlite/enums.ts';
import { OPEN_TICKET_STATUSES } from '../routing/ticket-statuses.ts';

type CustomerWhere = PrismaNamespace.CustomerWhereInput;

const tagList = z.array(z.string().trim().min(1, 'a tag cannot be empty')).min(1, 'give at least one tag');
/** "30d" (that long before now) or an ISO date; checked when the segment is saved. */
const moment = z.string().refine((text) => {
  try {
    parseSince(text, new Date(8.64e15));
    return true;
  } catch {
    return false;
  }
}, 'use a duration back from now (30d, 12w) or an ISO date such as 2026-01-31');
const range = (min: number, max: number) =>
  z
    .object({ min: z.number().min(min).max(max).optional(), max: z.number().min(min).max(max).optional() })
    .strict()
    .refine((r) => r.min === undefined || r.max === undefined || r.min <= r.max, 'min must not be above max');

/**
 * A segment: every condition given must hold (AND). Stored as JSON on the Segment row and read
 * back through this schema; `parley segments add --filter` and POST /api/v1/segments take it.
 */
export const SegmentFilterSchema = z
  .object({
    tags: z.object({ any: tagList.optional(), all: tagList.optional(), none: tagList.optional() }).strict().optional(),
    /** Attribute values that must match exactly; null: the attribute is not set. */
    attributes: z.record(z.string().min(1), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
    lifecycle: z.array(z.enum(LifecycleStage)).min(1).optional(),
    key: z.boolean().optional(),
    /** Churn score (src/crm/churn.ts, 0-100), computed when the segment is evaluated. */
    churn: range(0, 100).optional(),
    locale: z.array(z.string().min(2)).min(1).optional(),
    /** Has an identity on at least one of these channels. */
    channels: z.array(z.string().min(1)).min(1).optional(),
    lastSeen: z.object({ before: moment.optional(), after: moment.optional() }).strict().optional(),
    /** Gave at least one survey answer in the range (of that kind, since that moment). */
    rating: z
      .object({
        kind: z.enum(SurveyKind).optional(),
        min: z.number().int().min(0).max(10).optional(),
        max: z.number().int().min(0).max(10).optional(),
        since: moment.optional(),
      })
      .strict()
      .optional(),
    /** true: has a ticket not resolved or closed; false: has none. */
    openTickets: z.boolean().optional(),
    /** reachable: at least one identity (on `channels`, when given) has not opted out; opted_out: every one has. */
    consent: z.enum(['reachable', 'opted_out']).optional(),
  })
  .strict();
export type SegmentFilter = z.output<typeof SegmentFilterSchema>;

/**
 * The filter as a Prisma where over customers, the same on SQLite and PostgreSQL. Json filters
 * differ (SQLite takes a '$.a' path and refuses array_contains), so attribute paths are written
 * per dialect and tags on SQLite are read with json_each into an id list. The churn score is
 * not stored: `matchesChurn` checks it on the customers this where finds.
 */
export async function segmentWhere(db: Database, filter: SegmentFilter, now: Date): Promise<CustomerWhere> {
  // Not merged away (the mergedIntoId index holds tombstones only: SQLite cannot take it for this).
  const and: CustomerWhere[] = [{ mergedIntoId: null }];
  const { dialect } = db;
  if (filter.tags) and.push(...(await tagConditions(db, filter.tags)));
  for (const [name, value] of Object.entries(filter.attributes ?? {})) {
    const path = attributePath(dialect, name);
    // A path that is not there reads as the database's NULL on both databases.
    and.push({ attributes: { path, equals: value === null ? Prisma.DbNull : value } as never });
  }
  if (filter.lifecycle) and.push({ lifecycleStage: { in: filter.lifecycle } });
  if (filter.key !== undefined) and.push({ isKey: filter.key });
  if (filter.locale) and.push({ locale: { in: filter.locale } });
  if (filter.channels) and.push({ identities: { some: { channel: { in: filter.channels } } } });
  if (filter.lastSeen?.before) and.push({ lastSeenAt: { lt: parseSince(filter.lastSeen.before, now) } });
  if (filter.lastSeen?.after) and.push({ lastSeenAt: { gte: parseSince(filter.lastSeen.after, now) } });
  if (filter.rating) {
    const { kind, min, max, since } = filter.rating;
    and.push({
      surveyResponses: {
        some: { ...(kind ? { kind } : {}), score: { gte: min ?? 0, lte: max ?? 10 }, ...(since ? { createdAt: { gte: parseSince(since, now) } } : {}) },
      },
    });
  }
  if (filter.openTickets !== undefined) {
    const open = { status: { in: [...OPEN_TICKET_STATUSES] } };
    and.push(filter.openTickets ? { tickets: { some: open } } : { tickets: { none: open } });
  }
  if (filter.consent) {
    const onChannels = filter.channels ? { channel: { in: filter.channels } } : {};
    and.push(
      filter.consent === 'reachable'
        ? { identities: { some: { ...onChannels, optedOutAt: null } } }
        : { identities: { some: onChannels, none: { ...onChannels, optedOutAt: null } } },
    );
  }
  return { AND: and };
}

const attributePath = (dialect: Dialect, name: string): never => (dialect === 'sqlite' ? `$.${JSON.stringify(name)}` : [name]) as never;

async function tagConditions(db: Database, tags: NonNullable<SegmentFilter['tags']>): Promise<CustomerWhere[]> {
  // The SQLite client's types lack array_contains; the PostgreSQL client the app casts to takes it.
  const pgTagged = (tag: string): CustomerWhere => ({ tags: { array_contains: [tag] } }) as never;
  const having = async (any: readonly string[]): Promise<CustomerWhere> =>
    db.dialect === 'postgresql' ? { OR: any.map(pgTagged) } : { id: { in: await sqliteTagged(db, any) } };
  const out: CustomerWhere[] = [];
  if (tags.any) out.push(await having(tags.any));
  for (const tag of tags.all ?? []) out.push(await having([tag]));
  for (const tag of tags.none ?? []) out.push({ NOT: await having([tag]) });
  return out;
}

/** Ids of the customers with any of these tags (SQLite: Json filters there cannot look inside an array). */
async function sqliteTagged(db: Database, tags: readonly string[]): Promise<string[]> {
  const rows = await queryRows(
    db.prisma,
    sql`SELECT DISTINCT c."id" FROM "Customer" c, json_each(c."tags") t WHERE json_valid(c."tags") AND ${inList(db.dialect, sql`t."value"`, tags)}`,
  );
  return rows.map((r) => r.id as string);
}

/** Whether a churn score is in the filter's range (always, without a churn condition). */
export const matchesChurn = (filter: SegmentFilter, score: number): boolean =>
  !filter.churn || (score >= (filter.churn.min ?? 0) && score <= (filter.churn.max ?? 100));
