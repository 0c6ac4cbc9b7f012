import { z } from 'zod';
import { UserError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { type OutboundContent, OutboundContentSchema } from '../core/message.ts';
import type { Prisma } from '../generated/sqlite/client.ts';
import { formatZodIssues } from './inbox.ts';

/** What an outbox row carries besides its columns. */
export const OutboxPayloadSchema = z.object({
  content: OutboundContentSchema,
  replyTo: z.string().optional(),
  subject: z.string().optional(),
  authorName: z.string().optional(),
});
export type OutboxPayload = z.output<typeof OutboxPayloadSchema>;

export const outboundLaneKey = (channel: string, recipient: string): string => `out:${channel}:${recipient}`;

export interface OutboundDraft {
  readonly conversationId: string;
  readonly channel: string;
  readonly recipient: string;
  readonly content: OutboundContent;
  readonly authorKind: 'bot' | 'agent' | 'system';
  readonly agentId?: string;
  readonly authorName?: string;
  readonly replyTo?: string;
  readonly subject?: string;
}

/** The message row and its outbox row for one send; both are written in one transaction. */
export function buildOutbound(draft: OutboundDraft, now: Date): { message: Prisma.MessageCreateManyInput; outbox: Prisma.OutboxItemCreateManyInput } {
  const parsed = OutboundContentSchema.safeParse(draft.content);
  if (!parsed.success) throw new UserError(`outbound message rejected: ${formatZodIssues(parsed.error)}`);
  const content = parsed.data;
  const messageId = newId();
  const payload: OutboxPayload = { content, replyTo: draft.replyTo, subject: draft.subject, authorName: draft.authorName };
  return {
    message: {
      id: messageId,
      conversationId: draft.conversationId,
      channel: draft.channel,
      direction: 'outbound',
      authorKind: draft.authorKind,
      agentId: draft.agentId,
      text: content.text ?? null,
      attachments: content.attachments as Prisma.InputJsonValue,
      deliveryStatus: 'pending',
      createdAt: now,
    },
    outbox: {
      id: newId(),
      messageId,
      channel: draft.channel,
      recipient: draft.recipient,
      laneKey: outboundLaneKey(draft.channel, draft.recipient),
      payload: JSON.parse(JSON.stringify(payload)) as Prisma.InputJsonValue,
      nextAttemptAt: now,
      createdAt: now,
    },
  };
}

/** Stores a send for the dispatcher (used by agents, the API and scheduled flows). */
export async function enqueueOutbound(tx: import('../db/database.ts').Prisma, draft: OutboundDraft, now = new Date()): Promise<string> {
  const { message, outbox } = buildOutbound(draft, now);
  await tx.message.create({ data: message });
  await tx.outboxItem.create({ data: outbox });
  return message.id as string;
}
