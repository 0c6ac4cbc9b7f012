import { z } from 'zod';
import type { Database } from '../db/database.ts';
import { decodeRows, queryRows, sql } from '../db/sql.ts';

/** Sets or clears an identity's opt-out; an address Parley has never seen has nothing to record. */
export async function recordConsent(db: Database, channel: string, address: string, action: 'opt_out' | 'opt_in', now: Date): Promise<void> {
  await db.run((client) => client.channelIdentity.updateMany({ where: { channel, address }, data: { optedOutAt: action === 'opt_out' ? now : null } }));
}

/** The provider's send time kept in a stored inbound event's payload. */
const SentAtSchema = z.looseObject({ sentAt: z.iso.datetime({ offset: true }).optional() });

/**
 * When the identity (channel, address) last wrote, on any of its conversations: the provider's
 * time of the message when it gave one (a webhook retried for hours is not a fresh message;
 * WhatsApp's 24-hour window counts from it), else when Parley stored it. One query: it runs
 * before every WhatsApp send.
 */
export async function lastInboundAt(db: Database, channel: string, address: string): Promise<Date | undefined> {
  const rows = await queryRows(
    db.prisma,
    sql`SELECT m."createdAt", e."payload" FROM "ChannelIdentity" i
      JOIN "Conversation" c ON c."identityId" = i."id"
      JOIN "Message" m ON m."conversationId" = c."id"
      LEFT JOIN "InboxEvent" e ON e."channel" = m."channel" AND e."externalId" = m."externalId"
      WHERE i."channel" = ${channel} AND i."address" = ${address} AND m."direction" = 'inbound'
      ORDER BY m."id" DESC LIMIT 1`,
  );
  const last = decodeRows<{ createdAt: Date; payload: unknown }>(db.dialect, rows, { createdAt: 'timestamp', payload: 'json' })[0];
  if (!last) return undefined;
  return inboundAt(last.createdAt, SentAtSchema.safeParse(last.payload).data?.sentAt);
}

/** When an inbound message counts as written: the provider's send time when it gave one earlier than storing, else the storing. */
export function inboundAt(storedAt: Date, sentAt: string | undefined): Date {
  const sent = sentAt === undefined ? Number.NaN : Date.parse(sentAt);
  // A provider clock ahead of ours does not stretch the window.
  return Number.isFinite(sent) && sent < storedAt.getTime() ? new Date(sent) : storedAt;
}
