import type { ChannelStateStore, ConversationThread } from '../core/channel.ts';
import type { Database } from '../db/database.ts';

/** Recent provider ids handed to adapters that thread replies (email References). */
const THREAD_IDS = 20;

/** A conversation's threading facts for its channel's adapter. */
export async function conversationThread(db: Database, conversationId: string): Promise<ConversationThread> {
  const conversation = await db.prisma.conversation.findUnique({
    where: { id: conversationId },
    select: {
      ref: true,
      subject: true,
      team: { select: { name: true } },
      messages: { where: { externalId: { not: null } }, orderBy: { id: 'desc' }, take: THREAD_IDS, select: { externalId: true } },
    },
  });
  if (!conversation) throw new Error(`conversation ${conversationId} does not exist`);
  return {
    ref: conversation.ref,
    subject: conversation.subject,
    team: conversation.team?.name ?? null,
    externalIds: conversation.messages.map((m) => m.externalId as string).reverse(),
  };
}

/** The ChannelState rows of one channel as a key-value store. */
export function channelStateStore(db: Database, channel: string): ChannelStateStore {
  return {
    async get(key) {
      const row = await db.prisma.channelState.findUnique({ where: { channel_key: { channel, key } } });
      return row?.value ?? undefined;
    },
    async set(key, value) {
      const json = value as object;
      await db.run((client) =>
        client.channelState.upsert({ where: { channel_key: { channel, key } }, create: { channel, key, value: json }, update: { value: json } }),
      );
    },
  };
}
