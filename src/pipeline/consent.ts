import type { Database } from '../db/database.ts';
import { decodeRows, inList, queryRows, sql } from '../db/sql.ts';

/** Sets or clears an identity's opt-out; an address Parley has never seen has nothing to record. */
export async function recordConsent(db: Database, channel: string, address: string, action: 'opt_out' | 'opt_in', now: Date): Promise<void> {
  await db.run((client) => client.channelIdentity.updateMany({ where: { channel, address }, data: { optedOutAt: action === 'opt_out' ? now : null } }));
}

/** The recipients among `addresses` (per channel) that opted out: one query for a whole outbox batch. */
export async function optedOutRecipients(db: Database, items: readonly { channel: string; recipient: string }[]): Promise<Set<string>> {
  if (items.length === 0) return new Set();
  const addresses = [...new Set(items.map((i) => i.recipient))];
  const rows = (await queryRows(
    db.prisma,
    sql`SELECT "channel", "address" FROM "ChannelIdentity" WHERE "optedOutAt" IS NOT NULL AND ${inList(db.dialect, sql`"address"`, addresses)}`,
  )) as { channel: string; address: string }[];
  return new Set(rows.map((r) => recipientKey(r.channel, r.address)));
}

export const recipientKey = (channel: string, address: string): string => `${channel}\u0000${address}`;

/** When the identity (channel, address) last wrote to Parley, on any of its conversations (one query: it runs before every WhatsApp send). */
export async function lastInboundAt(db: Database, channel: string, address: string): Promise<Date | undefined> {
  const rows = await queryRows(
    db.prisma,
    sql`SELECT m."createdAt" FROM "ChannelIdentity" i
      JOIN "Conversation" c ON c."identityId" = i."id"
      JOIN "Message" m ON m."conversationId" = c."id"
      WHERE i."channel" = ${channel} AND i."address" = ${address} AND m."direction" = 'inbound'
      ORDER BY m."id" DESC LIMIT 1`,
  );
  return decodeRows<{ createdAt: Date }>(db.dialect, rows, { createdAt: 'timestamp' })[0]?.createdAt;
}
