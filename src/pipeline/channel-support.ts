import type { ChannelStateStore, ConversationThread, ReplyCopy } from '../core/channel.ts';
import type { Database } from '../db/database.ts';
import { enqueueOutbound } from './outbound.ts';

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

/**
 * Queues `copy` of a stored reply through channel `via` (ChannelContext.sendThrough): an outbound
 * message of the reply's conversation on that channel, by the same author, in the outbox. Its id
 * is derived from the original's, so a second request (a retried job) stores nothing more.
 */
export async function queueReplyCopy(db: Database, via: string, copy: ReplyCopy, now: Date): Promise<string> {
  const id = `${copy.messageId}:${via}`;
  await db.write(async (tx) => {
    if (await tx.message.findUnique({ where: { id }, select: { id: true } })) return;
    const original = await tx.message.findUnique({ where: { id: copy.messageId }, select: { conversationId: true, authorKind: true, agentId: true } });
    if (!original || original.authorKind === 'customer')
      throw new Error(`message ${copy.messageId} is not a stored reply: there is nothing to copy through ${via}`);
    await enqueueOutbound(
      tx,
      db.dialect,
      {
        id,
        conversationId: original.conversationId,
        channel: via,
        recipient: copy.recipient,
        content: copy.content,
        authorKind: original.authorKind,
        agentId: original.agentId ?? undefined,
        authorName: copy.authorName,
      },
      now,
    );
  });
  return id;
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
