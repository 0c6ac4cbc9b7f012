import { inChunks } from '../db/in-chunks.ts';
import type { AgentText } from '../agent-text/agent-text.ts';
import type { Database } from '../db/database.ts';

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

/** The churn scores of these customers (four queries per 500 of them); reports call this. */
export async function churnScores(db: Database, customerIds: readonly string[], now = new Date()): Promise<ChurnScore[]> {
  return inChunks(customerIds, (ids) => churnScoresOf(db, ids, now));
}

async function churnScoresOf(db: Database, ids: string[], now: Date): Promise<ChurnScore[]> {
  const since = new Date(now.getTime() - CHURN_MODEL.windowDays * DAY_MS);
  const customers = await db.prisma.customer.findMany({ where: { id: { in: ids } }, select: { id: true, lastSeenAt: true } });
  const complaints = await db.prisma.ticket.groupBy({
    by: ['customerId'],
    where: { customerId: { in: ids }, kind: 'complaint', createdAt: { gte: since } },
    _count: true,
  });
  const open = await db.prisma.ticket.groupBy({
    by: ['customerId'],
    where: { customerId: { in: ids }, status: { in: ['open', 'in_progress', 'waiting_for_customer'] } },
    _count: true,
  });
  const low = await db.prisma.surveyResponse.groupBy({
    by: ['customerId'],
    where: {
      customerId: { in: ids },
      createdAt: { gte: since },
      OR: [
        { kind: 'csat', score: { lte: CHURN_MODEL.lowCsatAtMost } },
        { kind: 'nps', score: { lte: CHURN_MODEL.lowNpsAtMost } },
      ],
    },
    _count: true,
  });
  const countOf = (rows: { customerId: string; _count: number }[]) => new Map(rows.map((r) => [r.customerId, r._count]));
  const [complaintsBy, openBy, lowBy] = [countOf(complaints), countOf(open), countOf(low)];
  return customers.map((c) =>
    scoreOf(c.id, {
      daysInactive: Math.max(0, Math.floor((now.getTime() - c.lastSeenAt.getTime()) / DAY_MS)),
      complaints: complaintsBy.get(c.id) ?? 0,
      lowRatings: lowBy.get(c.id) ?? 0,
      openTickets: openBy.get(c.id) ?? 0,
    }),
  );
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
