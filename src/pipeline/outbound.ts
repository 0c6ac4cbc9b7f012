import { z } from 'zod';
import { UserError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { type OutboundContent, OutboundContentSchema } from '../core/message.ts';
import { bulkInsert } from '../db/bulk-insert.ts';
import type { Dialect, Prisma as PrismaClient } from '../db/database.ts';
import { formatZodIssues } from './inbox.ts';
import { MESSAGE_COLUMNS, OUTBOX_COLUMNS } from '../db/columns.ts';

/** What an outbox row carries besides its columns. */
export const OutboxPayloadSchema = z.object({
  content: OutboundContentSchema,
  replyTo: z.string().optional(),
  subject: z.string().optional(),
  authorName: z.string().optional(),
  /** A carrier-required answer to STOP/HELP: sent even though the recipient opted out. */
  consentReply: z.boolean().optional(),
});
export type OutboxPayload = z.output<typeof OutboxPayloadSchema>;

export const outboundLaneKey = (channel: string, recipient: string): string => `out:${channel}:${recipient}`;

export interface OutboundDraft {
  /** A given message id (a copy's id is derived from its original's); a new one otherwise. */
  readonly id?: string;
  readonly conversationId: string;
  readonly channel: string;
  readonly recipient: string;
  readonly content: OutboundContent;
  readonly authorKind: 'bot' | 'agent' | 'system';
  readonly agentId?: string;
  readonly authorName?: string;
  readonly replyTo?: string;
  readonly subject?: string;
  readonly consentReply?: boolean;
}

export interface MessageRow {
  id: string;
  conversationId: string;
  channel: string;
  direction: 'inbound' | 'outbound';
  authorKind: 'customer' | 'bot' | 'agent' | 'system';
  agentId: string | null;
  text: string | null;
  attachments: unknown;
  interactiveReplyId: string | null;
  location: unknown;
  replyToExternalId: string | null;
  externalId: string | null;
  deliveryStatus: 'received' | 'pending' | 'sent';
  createdAt: Date;
}

export interface OutboxRow {
  id: string;
  messageId: string;
  channel: string;
  recipient: string;
  laneKey: string;
  payload: OutboxPayload;
  nextAttemptAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

/** The message row and its outbox row for one send; both are written in one transaction. */
/**
 * `now` orders the message (callers add a millisecond per reply); `dueAt` is when the send
 * may first be tried, normally the real present, so that offsets never delay a send.
 */
export function buildOutbound(draft: OutboundDraft, now: Date, dueAt: Date = now): { message: MessageRow; outbox: OutboxRow } {
  const parsed = OutboundContentSchema.safeParse(draft.content);
  if (!parsed.success) throw new UserError(`outbound message rejected: ${formatZodIssues(parsed.error)}`);
  const content = parsed.data;
  const messageId = draft.id ?? newId();
  const payload: OutboxPayload = {
    content,
    replyTo: draft.replyTo,
    subject: draft.subject,
    authorName: draft.authorName,
    ...(draft.consentReply ? { consentReply: true } : {}),
  };
  return {
    message: {
      id: messageId,
      conversationId: draft.conversationId,
      channel: draft.channel,
      direction: 'outbound',
      authorKind: draft.authorKind,
      agentId: draft.agentId ?? null,
      text: content.text ?? null,
      attachments: content.attachments,
      interactiveReplyId: null,
      location: null,
      replyToExternalId: null,
      externalId: null,
      deliveryStatus: 'pending',
      createdAt: now,
    },
    outbox: {
      id: newId(),
      messageId,
      channel: draft.channel,
      recipient: draft.recipient,
      laneKey: outboundLaneKey(draft.channel, draft.recipient),
      payload,
      nextAttemptAt: dueAt,
      createdAt: now,
      updatedAt: now,
    },
  };
}

/** Stores a send for the dispatcher (used by agents, the API and scheduled flows). */
export async function enqueueOutbound(tx: PrismaClient, dialect: Dialect, draft: OutboundDraft, now = new Date(), dueAt: Date = now): Promise<string> {
  const built = buildOutbound(draft, now, dueAt);
  await insertOutbound(tx, dialect, [built]);
  return built.message.id;
}

/** Stores built sends (buildOutbound), one statement per table however many there are. */
export async function insertOutbound(tx: PrismaClient, dialect: Dialect, built: readonly { message: MessageRow; outbox: OutboxRow }[]): Promise<void> {
  const messages = built.map((b) => b.message);
  const outbox = built.map((b) => b.outbox);
  await bulkInsert(tx, dialect, 'Message', MESSAGE_COLUMNS, messages);
  await bulkInsert(tx, dialect, 'OutboxItem', OUTBOX_COLUMNS, outbox);
}

/** A conversation as a send to its customer needs it: where they wrote from, and its subject. */
export interface CustomerConversation {
  readonly id: string;
  readonly channel: string;
  readonly subject: string | null;
  readonly identity: { readonly address: string };
}

/** Queues a message from Parley itself (a flow, a notice) to the conversation's customer, on their channel. */
export function enqueueToCustomer(
  tx: PrismaClient,
  dialect: Dialect,
  conversation: CustomerConversation,
  content: OutboundContent,
  authorKind: 'bot' | 'system',
  now = new Date(),
  dueAt: Date = now,
): Promise<string> {
  return enqueueOutbound(
    tx,
    dialect,
    {
      conversationId: conversation.id,
      channel: conversation.channel,
      recipient: conversation.identity.address,
      content,
      authorKind,
      subject: conversation.subject ?? undefined,
    },
    now,
    dueAt,
  );
}

export { MESSAGE_COLUMNS, OUTBOX_COLUMNS };
