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

/** When the identity (channel, address) last wrote to Parley, on any of its conversations. */
export async function lastInboundAt(db: Database, channel: string, address: string): Promise<Date | undefined> {
  const identity = await db.prisma.channelIdentity.findUnique({ where: { channel_address: { channel, address } }, select: { id: true } });
  if (!identity) return undefined;
  const last = await db.prisma.message.findFirst({
    where: { direction: 'inbound', conversation: { identityId: identity.id } },
    orderBy: { id: 'desc' },
    select: { createdAt: true },
  });
  return last?.createdAt;
}
