import { recordAudit } from './audit.ts';
import type { EventBus } from '../pipeline/events.ts';
import type { Database } from '../db/database.ts';
import type { Conversation } from '../generated/sqlite/client.ts';
import type { ConversationStatus } from '../generated/sqlite/enums.ts';
import { AgentFacingError } from '../agent-text/agent-error.ts';

/**
 * A conversation by any handle people have: its id, its short ref (shown on the Slack card,
 * in the API's `ref`, the CLI and email subjects; any case), or, for rows from before refs,
 * the last 6+ hex digits of its id.
 */
export async function findConversation(db: Database, idOrRef: string): Promise<Conversation> {
  const key = idOrRef.trim();
  const exact = await db.prisma.conversation.findUnique({ where: { id: key } });
  if (exact) return exact;
  const byRef = await db.prisma.conversation.findUnique({ where: { ref: key.toUpperCase() } });
  if (byRef) return byRef;
  if (/^[0-9a-f]{6,}$/i.test(key)) {
    const tail = key.toLowerCase();
    const candidates = await db.prisma.conversation.findMany({ where: { id: { endsWith: tail.slice(-4) } }, take: 50 });
    const matches = candidates.filter((c) => c.id.replace(/-/g, '').endsWith(tail));
    if (matches.length === 1) return matches[0] as Conversation;
    if (matches.length > 1) throw new AgentFacingError('error.conversation_ref_ambiguous', { ref: key, count: matches.length });
  }
  throw new AgentFacingError('error.conversation_not_found', { conversation: `"${key}"` }, 404);
}

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
  const { id } = await findConversation(db, conversationId);
  return db.prisma.message.findMany({
    where: { conversationId: id, ...(options.after ? { id: { gt: options.after } } : {}) },
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
    if (!conversation) throw new AgentFacingError('error.conversation_not_found', { conversation: conversationId }, 404);
    if (conversation.status === 'resolved') return;
    await tx.conversation.update({ where: { id: conversationId }, data: { status: 'resolved', resolvedAt: now } });
    await recordAudit(tx, { actor: by, action: 'conversation.resolve', entityType: 'conversation', entityId: conversationId, data: {} });
    await events.emit(tx, [{ type: 'conversation.resolved', conversationId, customerId: conversation.customerId, by }], now);
  });
}
