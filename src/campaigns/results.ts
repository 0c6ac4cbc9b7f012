import { inChunks } from '../db/in-chunks.ts';
import { parseDuration } from '../core/duration.ts';
import { toCsv } from '../core/csv.ts';
import type { Database } from '../db/database.ts';
import { type CampaignView, getCampaign } from './campaigns.ts';

/** One variant's (or the whole campaign's) figures. */
export interface CampaignFigures {
  /** Customers the segment gave, over every run. */
  targeted: number;
  /** Still waiting for their local send time (or for room in the channel's rate). */
  waiting: number;
  /** Skipped, by reason (src/contact/policy.ts SkipReason, no_channel, cancelled). */
  skipped: Record<string, number>;
  /** Handed to the outbox (a message) or to the flow engine (a flow start). */
  queued: number;
  /** Accepted by the provider (or further: delivered, read). */
  sent: number;
  delivered: number;
  read: number;
  /** The customer wrote back after the send (within the goal's window when there is one). */
  replied: number;
  /** The campaign's flow ran to its end. */
  completed: number;
  goalReached: number;
  /** The identity it went to opted out after the send. */
  optedOut: number;
  /** The send failed, by the provider's reason. */
  failed: Record<string, number>;
}

export interface CampaignResults {
  readonly campaign: string;
  readonly status: string;
  readonly goal: CampaignView['spec']['goal'] | null;
  readonly total: CampaignFigures;
  readonly variants: ({ name: string } & CampaignFigures)[];
}

const empty = (): CampaignFigures => ({
  targeted: 0,
  waiting: 0,
  skipped: {},
  queued: 0,
  sent: 0,
  delivered: 0,
  read: 0,
  replied: 0,
  completed: 0,
  goalReached: 0,
  optedOut: 0,
  failed: {},
});

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const list = map.get(key(item));
    if (list) list.push(item);
    else map.set(key(item), [item]);
  }
  return map;
}

const add = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/**
 * A campaign's results from what is stored: its recipients, their messages' delivery statuses
 * (the outbox and the providers' status events), inbound messages, flow sessions it started,
 * tickets, tags and opt-outs. A goal counts within its window from each recipient's send;
 * a tag has no date, so "tagged" counts customers carrying the tag when the report is made.
 */
export async function campaignResults(db: Database, idOrName: string): Promise<CampaignResults> {
  const campaign = await getCampaign(db, idOrName);
  const recipients = await db.prisma.campaignRecipient.findMany({
    where: { campaignId: campaign.id },
    select: {
      variantId: true,
      customerId: true,
      channel: true,
      address: true,
      status: true,
      skipReason: true,
      conversationId: true,
      messageId: true,
      queuedAt: true,
    },
  });
  const queued = recipients.filter((r) => r.status === 'queued');
  const messageIds = queued.flatMap((r) => (r.messageId ? [r.messageId] : []));
  const conversationIds = [...new Set(queued.flatMap((r) => (r.conversationId ? [r.conversationId] : [])))];
  const customerIds = [...new Set(queued.map((r) => r.customerId))];
  const earliest = queued.reduce<Date | undefined>((min, r) => (r.queuedAt && (!min || r.queuedAt < min) ? r.queuedAt : min), undefined) ?? new Date(0);

  const messages = new Map(
    (
      await inChunks(messageIds, (ids) =>
        db.prisma.message.findMany({ where: { id: { in: ids } }, select: { id: true, deliveryStatus: true, failureReason: true } }),
      )
    ).map((m) => [m.id, m]),
  );
  const inbound = await inChunks(conversationIds, (ids) =>
    db.prisma.message.findMany({
      where: { conversationId: { in: ids }, direction: 'inbound', createdAt: { gte: earliest } },
      select: { conversationId: true, createdAt: true },
    }),
  );
  const sessions = await inChunks(conversationIds, (ids) =>
    db.prisma.flowSession.findMany({
      where: { conversationId: { in: ids }, startedBy: `campaign:${campaign.id}` },
      select: { conversationId: true, status: true, completedAt: true },
    }),
  );
  const tickets = await inChunks(customerIds, (ids) =>
    db.prisma.ticket.findMany({ where: { customerId: { in: ids }, createdAt: { gte: earliest } }, select: { customerId: true, createdAt: true } }),
  );
  const optOuts = await inChunks(customerIds, (ids) =>
    db.prisma.channelIdentity.findMany({
      where: { customerId: { in: ids }, optedOutAt: { gte: earliest } },
      select: { channel: true, address: true, optedOutAt: true },
    }),
  );
  const goal = campaign.spec.goal;
  const tagged =
    goal?.type === 'tagged'
      ? new Set(
          (await inChunks(customerIds, (ids) => db.prisma.customer.findMany({ where: { id: { in: ids } }, select: { id: true, tags: true } })))
            .filter((c) => Array.isArray(c.tags) && (c.tags as unknown[]).includes(goal.tag))
            .map((c) => c.id),
        )
      : new Set<string>();

  const inboundBy = groupBy(inbound, (m) => m.conversationId);
  const completedBy = new Map(sessions.filter((s) => s.status === 'completed').map((s) => [s.conversationId, s.completedAt]));
  const ticketsBy = groupBy(tickets, (t) => t.customerId);
  const optedOutAt = new Map(optOuts.map((i) => [`${i.channel}\u0000${i.address}`, i.optedOutAt]));
  const windowMs = goal ? parseDuration(goal.within) : Number.POSITIVE_INFINITY;
  const within = (at: Date | null | undefined, from: Date) => !!at && at >= from && at.getTime() - from.getTime() <= windowMs;
  const variantNames = new Map(campaign.variants.map((v) => [v.id, v.name]));
  const total = empty();
  const byVariant = new Map(campaign.variants.map((v) => [v.id, empty()]));

  for (const r of recipients) {
    const figures = [total, byVariant.get(r.variantId)].filter((f): f is CampaignFigures => f !== undefined);
    const count = (fn: (f: CampaignFigures) => void) => figures.forEach(fn);
    count((f) => f.targeted++);
    if (r.status === 'scheduled') count((f) => f.waiting++);
    if (r.status === 'skipped') count((f) => add(f.skipped, r.skipReason ?? 'unknown'));
    if (r.status !== 'queued' || !r.queuedAt) continue;
    const from = r.queuedAt;
    count((f) => f.queued++);
    const message = r.messageId ? messages.get(r.messageId) : undefined;
    const status = message?.deliveryStatus;
    if (status === 'sent' || status === 'delivered' || status === 'read') count((f) => f.sent++);
    if (status === 'delivered' || status === 'read') count((f) => f.delivered++);
    if (status === 'read') count((f) => f.read++);
    if (status === 'failed') count((f) => add(f.failed, message?.failureReason ?? 'unknown'));
    const replied = (inboundBy.get(r.conversationId ?? '') ?? []).some((m) => within(m.createdAt, from));
    if (replied) count((f) => f.replied++);
    const completedAt = completedBy.get(r.conversationId ?? '');
    if (completedAt && completedAt >= from) count((f) => f.completed++);
    const optedOut = optedOutAt.get(`${r.channel}\u0000${r.address}`);
    if (optedOut && optedOut >= from) count((f) => f.optedOut++);
    const reached =
      goal?.type === 'replied'
        ? replied
        : goal?.type === 'completed'
          ? within(completedAt, from)
          : goal?.type === 'ticket'
            ? (ticketsBy.get(r.customerId) ?? []).some((t) => within(t.createdAt, from))
            : goal?.type === 'tagged'
              ? tagged.has(r.customerId)
              : false;
    if (reached) count((f) => f.goalReached++);
  }
  return {
    campaign: campaign.name,
    status: campaign.status,
    goal: goal ?? null,
    total,
    variants: [...byVariant].map(([id, f]) => ({ name: variantNames.get(id) as string, ...f })),
  };
}

/** Flat rows (variant, metric, detail, count): the CSV and the CLI table print these. */
export function resultRows(results: CampaignResults): [string, string, string, string][] {
  const rows: [string, string, string, string][] = [];
  for (const [variant, f] of [['all', results.total] as const, ...results.variants.map((v) => [v.name, v] as const)]) {
    const plain = ['targeted', 'waiting', 'queued', 'sent', 'delivered', 'read', 'replied', 'completed', 'goalReached', 'optedOut'] as const;
    for (const metric of plain) rows.push([variant, metric, '', String(f[metric])]);
    for (const [reason, n] of Object.entries(f.skipped)) rows.push([variant, 'skipped', reason, String(n)]);
    for (const [reason, n] of Object.entries(f.failed)) rows.push([variant, 'failed', reason, String(n)]);
  }
  return rows;
}

export const resultsCsv = (results: CampaignResults): string => toCsv([['variant', 'metric', 'detail', 'count'], ...resultRows(results)]);
