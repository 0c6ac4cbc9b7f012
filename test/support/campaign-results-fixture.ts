import { newId, newRef } from '../../src/core/ids.ts';
import type { Database } from '../../src/db/database.ts';

const SENT_AT = new Date('2026-04-01T08:00:00Z');
const HOUR = 3_600_000;
const after = (hours: number) => new Date(SENT_AT.getTime() + hours * HOUR);

type Delivery = 'pending' | 'sent' | 'delivered' | 'read' | 'failed';
interface Fixture {
  variant: 'A' | 'B';
  status: 'scheduled' | 'queued' | 'skipped';
  skipReason?: string;
  delivery?: Delivery;
  failure?: string;
  /** Hours after the send the customer wrote back. */
  replyAfter?: number;
  /** Hours after the send the campaign's flow completed. */
  completedAfter?: number;
  optedOutAfter?: number;
}

/**
 * Twelve recipients, their outcomes written by hand. The goal is a reply within 24 hours.
 *
 * Variant A (text): 6 targeted; 1 skipped frequency_cap, 1 skipped opted_out; 4 queued:
 *   read + replied after 2 h (goal), delivered + replied after 30 h (late: no goal), sent,
 *   failed "131026 receiver incapable".
 *   -> sent 3, delivered 2, read 1, replied 1 (within the window), goal 1, failed 1.
 * Variant B (flow): 6 targeted; 1 waiting; 1 skipped frequency_cap; 4 queued:
 *   read + completed after 1 h + replied after 1 h (goal), delivered + completed after 5 h,
 *   failed "131026 receiver incapable", delivered + opted out after 3 h.
 *   -> sent 3, delivered 3, read 1, replied 1, completed 2, goal 1, opted out 1, failed 1.
 */
const FIXTURE: Fixture[] = [
  { variant: 'A', status: 'skipped', skipReason: 'frequency_cap' },
  { variant: 'A', status: 'skipped', skipReason: 'opted_out' },
  { variant: 'A', status: 'queued', delivery: 'read', replyAfter: 2 },
  { variant: 'A', status: 'queued', delivery: 'delivered', replyAfter: 30 },
  { variant: 'A', status: 'queued', delivery: 'sent' },
  { variant: 'A', status: 'queued', delivery: 'failed', failure: '131026 receiver incapable' },
  { variant: 'B', status: 'scheduled' },
  { variant: 'B', status: 'skipped', skipReason: 'frequency_cap' },
  { variant: 'B', status: 'queued', delivery: 'read', completedAfter: 1, replyAfter: 1 },
  { variant: 'B', status: 'queued', delivery: 'delivered', completedAfter: 5 },
  { variant: 'B', status: 'queued', delivery: 'failed', failure: '131026 receiver incapable' },
  { variant: 'B', status: 'queued', delivery: 'delivered', optedOutAfter: 3 },
];

/** The "spring" campaign of FIXTURE, on a segment of that id (none need exist). Returns the campaign's id. */
export async function seedCampaignResults(db: Database, segmentId: string = newId()): Promise<string> {
  const campaignId = newId();
  await db.prisma.campaign.create({
    data: {
      id: campaignId,
      name: 'spring',
      segmentId,
      status: 'running',
      run: 1,
      spec: { channel: 'preferred', schedule: {}, goal: { type: 'replied', within: '24h' } },
    },
    select: { id: true },
  });
  const variants = { A: newId(), B: newId() };
  await db.prisma.campaignVariant.create({ data: { id: variants.A, campaignId, name: 'A', weight: 1, texts: { en: 'Hi' } }, select: { id: true } });
  await db.prisma.campaignVariant.create({ data: { id: variants.B, campaignId, name: 'B', weight: 1, flowId: 'offer' }, select: { id: true } });
  for (const [i, f] of FIXTURE.entries()) {
    const customerId = newId();
    const identityId = newId();
    const address = `+98912000${String(i).padStart(4, '0')}`;
    await db.prisma.customer.create({ data: { id: customerId, attributes: {}, tags: [] }, select: { id: true } });
    await db.prisma.channelIdentity.create({
      data: { id: identityId, customerId, channel: 'whatsapp', address, optedOutAt: f.optedOutAfter === undefined ? null : after(f.optedOutAfter) },
      select: { id: true },
    });
    let conversationId: string | null = null;
    let messageId: string | null = null;
    if (f.status === 'queued') {
      conversationId = newId();
      await db.prisma.conversation.create({ data: { id: conversationId, customerId, identityId, channel: 'whatsapp', ref: newRef() }, select: { id: true } });
      messageId = newId();
      await db.prisma.message.create({
        data: {
          id: messageId,
          conversationId,
          channel: 'whatsapp',
          direction: 'outbound',
          authorKind: 'bot',
          text: 'Hi',
          attachments: [],
          deliveryStatus: f.delivery ?? 'pending',
          failureReason: f.failure ?? null,
          createdAt: SENT_AT,
        },
        select: { id: true },
      });
      if (f.replyAfter !== undefined) {
        await db.prisma.message.create({
          data: {
            id: newId(),
            conversationId,
            channel: 'whatsapp',
            direction: 'inbound',
            authorKind: 'customer',
            text: 'yes',
            attachments: [],
            deliveryStatus: 'received',
            createdAt: after(f.replyAfter),
          },
          select: { id: true },
        });
      }
      if (f.completedAfter !== undefined) {
        await db.prisma.flowSession.create({
          data: {
            id: newId(),
            conversationId,
            customerId,
            flowId: 'offer',
            flowVersion: 'v1',
            stepId: 'bye',
            status: 'completed',
            variables: {},
            startedBy: `campaign:${campaignId}`,
            completedAt: after(f.completedAfter),
          },
          select: { id: true },
        });
      }
    }
    await db.prisma.campaignRecipient.create({
      data: {
        id: newId(),
        campaignId,
        variantId: variants[f.variant],
        run: 1,
        customerId,
        channel: 'whatsapp',
        address,
        timeZone: 'Asia/Tehran',
        dueAt: SENT_AT,
        status: f.status,
        skipReason: f.skipReason ?? null,
        conversationId,
        messageId,
        queuedAt: f.status === 'queued' ? SENT_AT : null,
        createdAt: SENT_AT,
      },
      select: { id: true },
    });
  }
  return campaignId;
}

/** The figures `seedCampaignResults` gives, worked out by hand from the rows it writes. */
export const FIXTURE_RESULTS = {
  variants: [
    {
      name: 'A',
      targeted: 6,
      waiting: 0,
      skipped: { frequency_cap: 1, opted_out: 1 },
      queued: 4,
      sent: 3,
      delivered: 2,
      read: 1,
      replied: 1,
      completed: 0,
      goalReached: 1,
      optedOut: 0,
      failed: { '131026 receiver incapable': 1 },
    },
    {
      name: 'B',
      targeted: 6,
      waiting: 1,
      skipped: { frequency_cap: 1 },
      queued: 4,
      sent: 3,
      delivered: 3,
      read: 1,
      replied: 1,
      completed: 2,
      goalReached: 1,
      optedOut: 1,
      failed: { '131026 receiver incapable': 1 },
    },
  ],
  total: {
    targeted: 12,
    waiting: 1,
    skipped: { frequency_cap: 2, opted_out: 1 },
    queued: 8,
    sent: 6,
    delivered: 5,
    read: 2,
    replied: 2,
    completed: 2,
    goalReached: 2,
    optedOut: 1,
    failed: { '131026 receiver incapable': 2 },
  },
};
