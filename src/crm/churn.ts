import type { AgentText } from '../agent-text/agent-text.ts';
import type { Database, Dialect } from '../db/database.ts';
import { decodeRows, empty, inList, join, queryRows, raw, type ReadKind, type Sql, sql } from '../db/sql.ts';
import { OPEN_TICKET_STATUSES } from '../routing/ticket-statuses.ts';

/**
 * The churn score: 0 (no sign) to 100, the sum of four explainable features. Each feature's
 * value is capped at `cap` and scaled to its `points`, so the points add up to at most 100:
 *
 * - daysInactive: days since the customer last wrote;
 * - complaints: complaint tickets opened in the last `windowDays`;
 * - lowRatings: CSAT answers of 1-2 and NPS answers of 0-6 in the last `windowDays`;
 * - openTickets: tickets not resolved or closed.
 *
 * All weights are here, and only here.
 */
export const CHURN_MODEL = {
  windowDays: 90,
  features: {
    daysInactive: { cap: 90, points: 40 },
    complaints: { cap: 3, points: 25 },
    lowRatings: { cap: 3, points: 20 },
    openTickets: { cap: 3, points: 15 },
  },
  lowCsatAtMost: 2,
  lowNpsAtMost: 6,
  /** Bands for reports and the card: below `medium` is low, below `high` is medium. */
  bands: { medium: 30, high: 60 },
} as const;

export type ChurnFeature = keyof typeof CHURN_MODEL.features;
export type ChurnBand = 'low' | 'medium' | 'high';

export interface ChurnScore {
  readonly customerId: string;
  readonly score: number;
  readonly band: ChurnBand;
  /** Each feature's measured value and the points it added. */
  readonly explanation: { feature: ChurnFeature; value: number; points: number }[];
}

export function churnBand(score: number): ChurnBand {
  return score >= CHURN_MODEL.bands.high ? 'high' : score >= CHURN_MODEL.bands.medium ? 'medium' : 'low';
}

/** The score of measured feature values. */
export function scoreOf(customerId: string, values: Record<ChurnFeature, number>): ChurnScore {
  const explanation = (Object.keys(CHURN_MODEL.features) as ChurnFeature[]).map((feature) => {
    const { cap, points } = CHURN_MODEL.features[feature];
    const value = values[feature];
    return { feature, value, points: Math.round((Math.min(value, cap) / cap) * points * 10) / 10 };
  });
  const score = Math.round(explanation.reduce((sum, e) => sum + e.points, 0));
  return { customerId, score, band: churnBand(score), explanation };
}

const DAY_MS = 86_400_000;

type Features = Record<ChurnFeature, number>;

/** A timestamp column or parameter as milliseconds since the epoch (exact: days are counted from it). */
const epochMs = (dialect: Dialect, value: Sql): Sql =>
  dialect === 'sqlite' ? sql`CAST(round(unixepoch(${value}, 'subsec') * 1000) AS INTEGER)` : sql`(extract(epoch from ${value}) * 1000)`;

/** A condition that a customer id column is one of a set (an id list, or a subquery). */
type CustomerSet = (column: Sql) => Sql;

/**
 * SQL: the feature values, as of `now`, of the customers in `customers`, one row per customer
 * with its isKey flag. The database counts each feature's rows for the whole set at once (grouped
 * by customer, then joined), so a report over 100,000 active customers reads no ticket or survey
 * row into the process and runs no subquery per customer. `countAll`: count every customer's
 * rows instead of only the set's; for a set as large as a report's, matching each ticket and
 * survey against it costs more than counting them all (SQLite 0.5 s against 0.28 s at 100,000).
 */
function featureRows(dialect: Dialect, customers: CustomerSet, now: Date, countAll = false): Sql {
  const since = new Date(now.getTime() - CHURN_MODEL.windowDays * DAY_MS);
  const counted: [ChurnFeature, string, Sql][] = [
    ['complaints', 'Ticket', sql`"kind" = 'complaint' AND "createdAt" >= ${since}`],
    [
      'lowRatings',
      'SurveyResponse',
      sql`"createdAt" >= ${since} AND (("kind" = 'csat' AND "score" <= ${CHURN_MODEL.lowCsatAtMost}) OR ("kind" = 'nps' AND "score" <= ${CHURN_MODEL.lowNpsAtMost}))`,
    ],
    ['openTickets', 'Ticket', sql`"status" IN (${join(OPEN_TICKET_STATUSES.map((status) => raw(`'${status}'`)))})`],
  ];
  const nowMs = dialect === 'sqlite' ? epochMs(dialect, sql`${now}`) : epochMs(dialect, sql`${now}::timestamp(3)`);
  // A literal: better-sqlite3 binds a JS number as a REAL, and the division must be an integer one.
  const days = sql`(${nowMs} - ${epochMs(dialect, sql`c."lastSeenAt"`)}) / ${raw(String(DAY_MS))}`;
  return sql`SELECT c."id" AS "customerId", c."isKey" AS "isKey",
      ${dialect === 'sqlite' ? sql`MAX(0, ${days})` : sql`GREATEST(0, floor(${days}))`} AS "daysInactive",
      ${join(counted.map(([feature]) => sql`COALESCE(${raw(feature)}."n", 0) AS "${raw(feature)}"`))}
    FROM "Customer" c
    ${join(
      counted.map(
        ([feature, table, condition]) =>
          sql`LEFT JOIN (SELECT "customerId", COUNT(*) AS "n" FROM "${raw(table)}" WHERE ${condition} ${countAll ? empty : sql`AND ${customers(sql`"customerId"`)}`} GROUP BY "customerId") ${raw(feature)} ON ${raw(feature)}."customerId" = c."id"`,
      ),
      ' ',
    )}
    WHERE ${customers(sql`c."id"`)}`;
}

const FEATURE_KINDS: Record<ChurnFeature, ReadKind> = { daysInactive: 'integer', complaints: 'integer', lowRatings: 'integer', openTickets: 'integer' };

/** The churn scores of these customers, in their order (one query); the card, segments and `parley customers churn` call this. */
export async function churnScores(db: Database, customerIds: readonly string[], now = new Date()): Promise<ChurnScore[]> {
  if (customerIds.length === 0) return [];
  const rows = await queryRows(
    db.prisma,
    featureRows(db.dialect, (column) => inList(db.dialect, column, customerIds), now),
  );
  const scores = new Map(
    decodeRows<Features & { customerId: string }>(db.dialect, rows, FEATURE_KINDS).map((row) => [row.customerId, scoreOf(row.customerId, row)]),
  );
  return customerIds.flatMap((id) => scores.get(id) ?? []);
}

export type ChurnBandCounts = Record<ChurnBand, { customers: number; keyCustomers: number }>;

/**
 * The customers with a conversation started in [since, until), counted by churn band as of
 * `until` and by key flag. The database groups them by their feature values, capped as the
 * score caps them, so the rows read are a few thousand at most however many customers there are.
 */
export async function churnBandCounts(db: Database, since: Date, until: Date): Promise<ChurnBandCounts> {
  const { dialect } = db;
  const capped = (feature: ChurnFeature) =>
    dialect === 'sqlite'
      ? sql`MIN(f."${raw(feature)}", ${CHURN_MODEL.features[feature].cap})`
      : sql`LEAST(f."${raw(feature)}", ${CHURN_MODEL.features[feature].cap})`;
  const features = Object.keys(CHURN_MODEL.features) as ChurnFeature[];
  const active: CustomerSet = (column) => sql`${column} IN (SELECT "customerId" FROM "Conversation" WHERE "createdAt" >= ${since} AND "createdAt" < ${until})`;
  const rows = await queryRows(
    db.prisma,
    sql`SELECT f."isKey" AS "isKey", ${join(features.map((feature) => sql`${capped(feature)} AS "${raw(feature)}"`))}, COUNT(*) AS "customers"
      FROM (${featureRows(dialect, active, until, true)}) f GROUP BY 1, ${join(features.map((_, i) => raw(String(i + 2))))}`,
  );
  const counts: ChurnBandCounts = {
    low: { customers: 0, keyCustomers: 0 },
    medium: { customers: 0, keyCustomers: 0 },
    high: { customers: 0, keyCustomers: 0 },
  };
  for (const row of decodeRows<Features & { isKey: boolean; customers: number }>(dialect, rows, { ...FEATURE_KINDS, isKey: 'boolean', customers: 'integer' })) {
    const band = counts[scoreOf('', row).band];
    band.customers += row.customers;
    if (row.isKey) band.keyCustomers += row.customers;
  }
  return counts;
}

export async function churnScore(db: Database, customerId: string, now = new Date()): Promise<ChurnScore | undefined> {
  return (await churnScores(db, [customerId], now))[0];
}

/** One line for people in the agent's language: "72 (high): 45 days inactive +20, 2 complaints +16.7, ...". */
export function explainChurn(churn: ChurnScore, text: AgentText): string {
  const parts = churn.explanation.filter((e) => e.value > 0).map((e) => text.t(`churn.feature.${e.feature}`, { value: e.value, points: e.points }));
  const summary = text.t('churn.summary', { score: churn.score, band: text.t(`churn.band.${churn.band}`) });
  return `${summary}${parts.length ? `: ${parts.join(text.locale === 'en' ? ', ' : '، ')}` : ''}`;
}
