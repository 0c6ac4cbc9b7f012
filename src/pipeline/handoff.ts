import type { DomainEvent } from '../core/events.ts';
import { teamNamed } from '../crm/teams.ts';
import type { Prisma as PrismaClient } from '../db/database.ts';
import type { Priority } from '../generated/sqlite/enums.ts';
import type { EventBus } from './events.ts';
import type { ConversationPatch, HandoffRequest } from './handler.ts';

type HandedOff = Extract<DomainEvent, { type: 'conversation.handed_off' }>;

/**
 * What handing a conversation to people changes on it, whoever asks (a flow in a turn, a
 * flow on a timer or event): waiting for the team, unassigned, no longer resolved.
 */
export async function handoffPatch(tx: PrismaClient, request: HandoffRequest): Promise<ConversationPatch> {
  const team = request.team ? await teamNamed(tx, request.team) : undefined;
  return {
    status: 'waiting_for_agent',
    teamId: team?.id ?? null,
    assigneeId: null,
    resolvedAt: null,
    ...(request.priority ? { priority: request.priority } : {}),
  };
}

/** The event that tells the desk, routing and AI assist that a person should take over. */
export function handoffEvent(conversation: { id: string; customerId: string; priority: Priority }, request: HandoffRequest): HandedOff {
  return {
    type: 'conversation.handed_off',
    conversationId: conversation.id,
    customerId: conversation.customerId,
    team: request.team ?? null,
    priority: request.priority ?? conversation.priority,
    note: request.note,
    collected: { ...request.collected },
  };
}

/**
 * Moves a conversation a person has (or waits for) to a team's queue, unassigned, in the
 * caller's transaction, and emits its one `conversation.handed_off` (the team's desk gets the
 * card, routing queues it, AI assist summarizes): the desk's transfer and routing's SLA
 * escalation (`escalation`: the target that was missed). Returns the team's id.
 */
export async function transferConversation(
  tx: PrismaClient,
  events: EventBus,
  conversation: { id: string; customerId: string; priority: Priority },
  request: HandoffRequest & { readonly team: string },
  now: Date,
  escalation?: HandedOff['escalation'],
): Promise<string> {
  const patch = await handoffPatch(tx, request);
  await tx.conversation.update({ where: { id: conversation.id }, data: patch });
  await events.emit(tx, [{ ...handoffEvent(conversation, request), ...(escalation ? { escalation } : {}) }], now);
  return patch.teamId as string;
}
