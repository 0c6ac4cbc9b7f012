import type { DomainEvent } from '../core/events.ts';
import { teamNamed } from '../crm/teams.ts';
import type { Prisma as PrismaClient } from '../db/database.ts';
import type { Priority } from '../generated/sqlite/enums.ts';
import type { ConversationPatch, HandoffRequest } from './handler.ts';

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
export function handoffEvent(conversation: { id: string; customerId: string; priority: Priority }, request: HandoffRequest): DomainEvent {
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
