import { NotFoundError } from '../core/errors.ts';
import { recordAudit } from './audit.ts';
import type { EventBus } from '../pipeline/events.ts';
import type { Database } from '../db/database.ts';
import type { ConversationStatus } from '../generated/sqlite/enums.ts';

export interface ConversationFilter {
  readonly status?: ConversationStatus;
  readonly channel?: string;
  readonly customerId?: string;
  readonly limit?: number;
  /** Id of the last conversation of the previous page. */
  readonly after?: string;
}

export async function listConversations(db: Database, filter: ConversationFilter) {
  return db.prisma.conversation.findMany({
    where: {
      status: filter.status,
      channel: filter.channel,
      customerId: filter.customerId,
      ...(filter.after ? { id: { lt: filter.after } } : {}),
    },
    orderBy: { id: 'desc' },
    take: filter.limit ?? 50,
    include: { customer: { select: { id: true, name: true } } },
  });
}

/** A conversation's messages in the order they were handled. */
export async function conversationMessages(db: Database, conversationId: string, options: { limit?: number; after?: string } = {}) {
  const exists = await db.prisma.conversation.findUnique({ where: { id: conversationId }, select: { id: true } });
  if (!exists) throw new NotFoundError(`conversation ${conversationId}`);
  return db.prisma.message.findMany({
    where: { conversationId, ...(options.after ? { id: { gt: options.after } } : {}) },
    orderBy: { id: 'asc' },
    take: options.limit ?? 200,
  });
}

/**
 * Closes a conversation and tells the subscribers (the CSAT survey trigger, the agent desk).
 * `by` is who did it: "agent:<id>", "api", "cli", "flow".
 */
export async function resolveConversation(db: Database, events: EventBus, conversationId: string, by: string, now = new Date()): Promise<void> {
  await db.write(async (tx) => {
    const conversation = await tx.conversation.findUnique({ where: { id: conversationId } });
    if (!conversation) throw new NotFoundError(`conversation ${conversationId}`);
    if (conversation.status === 'resolved') return;
    await tx.conversation.update({ where: { id: conversationId }, data: { status: 'resolved', resolvedAt: now } });
    await recordAudit(tx, { actor: by, action: 'conversation.resolve', entityType: 'conversation', entityId: conversationId, data: {} });
    await events.emit(tx, [{ type: 'conversation.resolved', conversationId, customerId: conversation.customerId, by }], now);
  });
}
