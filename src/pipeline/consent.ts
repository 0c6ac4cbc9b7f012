import { z } from 'zod';
import type { Database } from '../db/database.ts';

/** Sets or clears an identity's opt-out; an address Parley has never seen has nothing to record. */
export async function recordConsent(db: Database, channel: string, address: string, action: 'opt_out' | 'opt_in', now: Date): Promise<void> {
  await db.run((client) => client.channelIdentity.updateMany({ where: { channel, address }, data: { optedOutAt: action === 'opt_out' ? now : null } }));
}

/** The recipients among `addresses` (per channel) that opted out: one query for a whole outbox batch. */
export async function optedOutRecipients(db: Database, items: readonly { channel: string; recipient: string }[]): Promise<Set<string>> {
  if (items.length === 0) return new Set();
  const rows = await db.prisma.channelIdentity.findMany({
    where: { optedOutAt: { not: null }, address: { in: [...new Set(items.map((i) => i.recipient))] } },
    select: { channel: true, address: true },
  });
  return new Set(rows.map((r) => recipientKey(r.channel, r.address)));
}

export const recipientKey = (channel: string, address: string): string => `${channel}\u0000${address}`;

/** The provider's send time kept in a stored inbound event's payload. */
const SentAtSchema = z.looseObject({ sentAt: z.iso.datetime({ offset: true }).optional() });

/**
 * When the identity (channel, address) last wrote, on any of its conversations: the provider's
 * time of the message when it gave one (a webhook retried for hours is not a fresh message;
 * WhatsApp's 24-hour window counts from it), else when Parley stored it.
 */
export async function lastInboundAt(db: Database, channel: string, address: string): Promise<Date | undefined> {
  const identity = await db.prisma.channelIdentity.findUnique({ where: { channel_address: { channel, address } }, select: { id: true } });
  if (!identity) return undefined;
  const last = await db.prisma.message.findFirst({
    where: { direction: 'inbound', conversation: { identityId: identity.id } },
    orderBy: { id: 'desc' },
    select: { createdAt: true, channel: true, externalId: true },
  });
  if (!last) return undefined;
  const event = last.externalId
    ? await db.prisma.inboxEvent.findUnique({
        where: { channel_externalId: { channel: last.channel, externalId: last.externalId } },
        select: { payload: true },
      })
    : null;
  const sentAt = event ? SentAtSchema.safeParse(event.payload).data?.sentAt : undefined;
  // A provider clock ahead of ours does not stretch the window.
  return sentAt && new Date(sentAt) < last.createdAt ? new Date(sentAt) : last.createdAt;
}
