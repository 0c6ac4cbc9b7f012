import { z } from 'zod';

/**
 * Things that happened to a conversation, delivered durably to whoever subscribed (the
 * agent desk, the flow engine's triggers, alerts). Emitted inside the transaction that made
 * them true, so a subscriber never misses one and never sees one that was rolled back.
 */
const PrioritySchema = z.enum(['low', 'normal', 'high', 'urgent']);

export const DomainEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('conversation.handed_off'),
    conversationId: z.string(),
    customerId: z.string(),
    team: z.string().nullable(),
    priority: PrioritySchema,
    note: z.string().optional(),
    /** What the bot learned before handing over (answers by name), for the agent's card. */
    collected: z.record(z.string(), z.string()).default({}),
    /**
     * Set when routing's SLA escalation moved it after this target was missed: the same queue
     * episode goes on (its SLA clocks keep running), only the team changes.
     */
    escalation: z.enum(['first_response', 'resolution']).optional(),
  }),
  /** A customer message in a conversation a human handles (waiting for or assigned to an agent). */
  z.object({ type: z.literal('conversation.customer_message'), conversationId: z.string(), customerId: z.string(), messageId: z.string() }),
  z.object({ type: z.literal('conversation.resolved'), conversationId: z.string(), customerId: z.string(), by: z.string() }),
  z.object({ type: z.literal('conversation.reopened'), conversationId: z.string(), customerId: z.string() }),
  z.object({ type: z.literal('conversation.assigned'), conversationId: z.string(), customerId: z.string(), agentId: z.string().nullable() }),
  /** An agent put the conversation aside until `until` (ISO 8601), or it came back (`until` null). */
  z.object({ type: z.literal('conversation.snoozed'), conversationId: z.string(), customerId: z.string(), until: z.string().nullable(), by: z.string() }),
  /** An agent or the API hands the conversation back to the bot (status bot). */
  z.object({ type: z.literal('conversation.handed_back'), conversationId: z.string(), customerId: z.string(), by: z.string() }),
  /** An agent, the API or a scheduler asks for a flow to start in this conversation. */
  z.object({ type: z.literal('flow.start_requested'), conversationId: z.string(), customerId: z.string(), flowId: z.string(), by: z.string() }),
  z.object({ type: z.literal('ticket.created'), ticketId: z.string(), customerId: z.string(), conversationId: z.string().nullable() }),
  z.object({ type: z.literal('ticket.closed'), ticketId: z.string(), customerId: z.string(), conversationId: z.string().nullable() }),
  /** A customer answered a CSAT or NPS survey (alerts and lifecycle read it). */
  z.object({
    type: z.literal('survey.recorded'),
    surveyId: z.string(),
    customerId: z.string(),
    conversationId: z.string().nullable(),
    kind: z.enum(['csat', 'nps']),
    score: z.number(),
  }),
]);
export type DomainEvent = z.input<typeof DomainEventSchema>;
export type DomainEventType = DomainEvent['type'];
export type DomainEventOf<T extends DomainEventType> = Extract<z.output<typeof DomainEventSchema>, { type: T }>;

/** Events of one conversation (else one customer) are delivered in the order they happened. */
export function eventLane(event: DomainEvent): string {
  return 'conversationId' in event && event.conversationId ? `conversation:${event.conversationId}` : `customer:${event.customerId}`;
}
