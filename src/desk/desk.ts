import { z } from 'zod';
import type { DomainEvent } from '../core/events.ts';
import { newId } from '../core/ids.ts';
import { recordAudit } from '../crm/audit.ts';
import type { Attachment } from '../core/message.ts';
import type { ChannelCapabilities } from '../core/channel.ts';
import { renderRich, type RichText } from '../core/rich-text.ts';
import { resolveConversation } from '../crm/conversations.ts';
import type { Database, Prisma as PrismaClient } from '../db/database.ts';
import type { Agent, Conversation } from '../generated/sqlite/client.ts';
import type { AgentAvailability } from '../generated/sqlite/enums.ts';
import type { EventBus } from '../pipeline/events.ts';
import { transferConversation } from '../pipeline/handoff.ts';
import { type JobRunner, scheduleJobs } from '../pipeline/jobs.ts';
import { enqueueOutbound, OutboxPayloadSchema } from '../pipeline/outbound.ts';
import { fillPlaceholders, firstName, getCanned } from './canned.ts';
import { findConversation } from '../crm/conversations.ts';
import { AgentFacingError } from '../agent-text/agent-error.ts';

/**
 * The one short reference of a conversation, shown everywhere (Slack card, API `ref`, CLI,
 * email subject token): its stored ref; a row from before refs existed, the tail of its id.
 */
export const conversationRef = (conversation: { readonly id: string; readonly ref: string | null }): string =>
  conversation.ref ?? conversation.id.replace(/-/g, '').slice(-8);

/** Extra writes committed with an agent's message (e.g. the Slack message it came from). */
export type OriginWrite = (tx: PrismaClient, messageId: string) => Promise<void>;

export interface AgentMessage {
  readonly conversationId: string;
  readonly agentId: string;
  readonly text?: string;
  /** Formatted text (e.g. converted from Slack): rendered for the conversation's channel instead of `text`. */
  readonly rich?: RichText;
  readonly attachments?: readonly Attachment[];
  readonly origin?: OriginWrite;
}

/** What became of an agent's edit or deletion of a reply. */
export type ReplyChange =
  /** Still in the outbox: the reply was replaced by the new text (`messageId`) or withdrawn. */
  | { readonly outcome: 'changed'; readonly messageId?: string }
  /** Already sent or being sent: the customer has `text` on `channel`, which Parley cannot change. */
  | { readonly outcome: 'already_sent'; readonly channel: string; readonly text: string | null };

/**
 * What the desk leaves to routing, so that a person's decision goes the same way as routing's
 * own: giving a conversation to an agent (its event, audit row and "assigned to" desk notice)
 * or taking it back to the queue, and an agent's availability (a returning agent is given
 * queued conversations).
 */
export interface DeskRouting {
  assign(conversationId: string, agentId: string, by: string): Promise<void>;
  /** Back to the team's queue, which routing's assignment serves again. */
  unassign(conversationId: string, by: string): Promise<void>;
  /**
   * In the reply's transaction: stops the first-response clock and assigns a conversation
   * nobody has to the agent who answered (true if it did).
   */
  agentReplied(tx: PrismaClient, conversation: Conversation, agentId: string, now: Date): Promise<boolean>;
  setAvailability(agentId: string, availability: AgentAvailability, by: string): Promise<void>;
}

/**
 * What agents do to conversations, whatever their tool (Slack, the REST API, the CLI). Each
 * operation is one transaction that also writes the audit log and emits its domain events.
 * `by` names the actor: "agent:<id>", "api", "cli".
 */
export class Desk {
  constructor(
    private readonly db: Database,
    private readonly events: EventBus,
    private readonly routing: DeskRouting,
    private readonly onOutboundQueued: () => void = () => {},
    private readonly now: () => Date = () => new Date(),
    /** How a channel shows formatted text (its capabilities' richText); unknown channels get plain text. */
    private readonly richTextOf: (channel: string) => ChannelCapabilities['richText'] | undefined = () => undefined,
  ) {}

  /** A conversation by its id, its short ref (any case), or the id's tail (rows from before refs). */
  findConversation(idOrRef: string): Promise<Conversation> {
    return findConversation(this.db, idOrRef);
  }

  async agent(agentId: string): Promise<Agent> {
    const agent = await this.db.prisma.agent.findUnique({ where: { id: agentId } });
    if (!agent) throw new AgentFacingError('error.agent_not_found', { agent: agentId }, 404);
    return agent;
  }

  /**
   * Sends an agent's reply to the customer on the conversation's channel, through the outbox.
   * The first reply of an unassigned conversation (the bot's, or one waiting in a queue)
   * assigns it to the agent through routing's assignment; the first agent reply records the
   * first-response time (on the conversation, and on routing's SLA clock of the episode).
   */
  async reply(message: AgentMessage): Promise<{ messageId: string; assigned: boolean }> {
    const now = this.now();
    const attachments = [...(message.attachments ?? [])];
    if (!message.text?.trim() && !(message.rich && renderRich(message.rich, 'none').text.trim()) && attachments.length === 0)
      throw new AgentFacingError('error.reply_empty');
    const result = await this.db.write(async (tx) => {
      const conversation = await this.#conversation(tx, message.conversationId);
      const agent = await this.#agent(tx, message.agentId);
      const content = { ...this.#render(message, conversation.channel), attachments };
      const identity = await tx.channelIdentity.findUniqueOrThrow({ where: { id: conversation.identityId } });
      const lastInbound = await tx.message.findFirst({
        where: { conversationId: conversation.id, direction: 'inbound', externalId: { not: null } },
        orderBy: { id: 'desc' },
        select: { externalId: true },
      });
      const messageId = await enqueueOutbound(
        tx,
        this.db.dialect,
        {
          conversationId: conversation.id,
          channel: conversation.channel,
          recipient: identity.address,
          content,
          authorKind: 'agent',
          agentId: agent.id,
          authorName: agent.name,
          replyTo: lastInbound?.externalId ?? undefined,
          subject: conversation.subject ?? undefined,
        },
        now,
      );
      await tx.conversation.update({
        where: { id: conversation.id },
        data: { ...(conversation.firstResponseAt ? {} : { firstResponseAt: now }), lastMessageAt: now },
      });
      // Routing stops its first-response clock and, when nobody has it yet, gives it to this agent.
      const assigned = await this.routing.agentReplied(tx, conversation, agent.id, now);
      await message.origin?.(tx, messageId);
      return { messageId, assigned };
    });
    this.onOutboundQueued();
    if (result.assigned) this.events.notify();
    return result;
  }

  /** The reply's text as the conversation's channel shows it (plain, WhatsApp marks, or text and HTML). */
  #render(message: Pick<AgentMessage, 'text' | 'rich'>, channel: string): { text?: string; html?: string } {
    if (!message.rich) return { text: message.text };
    const rendered = renderRich(message.rich, this.richTextOf(channel) ?? 'none');
    return rendered.text.trim() ? rendered : {};
  }

  /**
   * An agent changed (`rich` given) or deleted a reply. One still waiting in the outbox is
   * withdrawn (its send marked failed with the reason, so no dispatcher can still send it) and,
   * for an edit, queued again with the new text; one already sent or being sent stays as the
   * customer has it: no channel Parley sends on can change a delivered message.
   */
  async changeReply(messageId: string, change: { rich?: RichText; text?: string; origin?: OriginWrite }): Promise<ReplyChange> {
    const now = this.now();
    const edit = change.rich !== undefined || change.text !== undefined;
    const reason = edit ? "replaced by the agent's edit before it was sent" : 'withdrawn: the agent deleted it before it was sent';
    const result = await this.db.write(async (tx): Promise<ReplyChange> => {
      const original = await tx.message.findUnique({ where: { id: messageId } });
      if (!original || original.authorKind !== 'agent' || !original.agentId)
        throw new AgentFacingError('error.agent_reply_not_found', { message: messageId }, 404);
      const withdrawn = await tx.outboxItem.updateMany({ where: { messageId, status: 'pending' }, data: { status: 'failed', lastError: reason } });
      if (withdrawn.count === 0) return { outcome: 'already_sent', channel: original.channel, text: original.text };
      await tx.message.update({ where: { id: messageId }, data: { deliveryStatus: 'failed', failureReason: reason } });
      if (!edit) return { outcome: 'changed' };
      const outbox = await tx.outboxItem.findUniqueOrThrow({ where: { messageId } });
      const payload = OutboxPayloadSchema.parse(outbox.payload);
      const rendered = this.#render(change, original.channel);
      const attachments = payload.content.attachments;
      if (!rendered.text?.trim() && attachments.length === 0) return { outcome: 'changed' };
      const replacement = await enqueueOutbound(
        tx,
        this.db.dialect,
        {
          conversationId: original.conversationId,
          channel: original.channel,
          recipient: outbox.recipient,
          content: { ...rendered, attachments },
          authorKind: 'agent',
          agentId: original.agentId,
          authorName: payload.authorName,
          replyTo: payload.replyTo,
          subject: payload.subject,
        },
        now,
      );
      await change.origin?.(tx, replacement);
      return { outcome: 'changed', messageId: replacement };
    });
    if (result.outcome === 'changed') this.onOutboundQueued();
    return result;
  }

  /** An internal note: stored in the conversation, never sent to the customer. */
  async note(message: AgentMessage): Promise<{ messageId: string }> {
    const now = this.now();
    return this.db.write(async (tx) => {
      const conversation = await this.#conversation(tx, message.conversationId);
      const agent = await this.#agent(tx, message.agentId);
      const id = newId();
      await tx.message.create({
        data: {
          id,
          conversationId: conversation.id,
          channel: conversation.channel,
          direction: 'outbound',
          authorKind: 'agent',
          agentId: agent.id,
          text: message.text ?? null,
          attachments: [...(message.attachments ?? [])],
          isInternalNote: true,
          // Not for delivery: a note is only ever "received" (stored).
          deliveryStatus: 'received',
          createdAt: now,
        },
      });
      await message.origin?.(tx, id);
      return { messageId: id };
    });
  }

  /** A canned response with its placeholders filled for this conversation and agent. */
  async renderCanned(name: string, conversationId: string, agentId?: string): Promise<string> {
    const canned = await getCanned(this.db, name);
    const conversation = await this.findConversation(conversationId);
    const customer = await this.db.prisma.customer.findUniqueOrThrow({ where: { id: conversation.customerId } });
    const agent = agentId ? await this.agent(agentId) : undefined;
    return fillPlaceholders(canned.text, {
      'customer.name': customer.name,
      'customer.first_name': firstName(customer.name),
      'agent.name': agent?.name,
      'agent.first_name': firstName(agent?.name),
      'conversation.ref': conversationRef(conversation),
    });
  }

  /**
   * Assigns the conversation to an agent through routing's assignment (the same event, audit
   * row and desk notice as an automatic one), or unassigns it (agentId null): routing puts it
   * back in its team's queue, for the team's assignment.
   */
  async assign(conversationId: string, agentId: string | null, by: string): Promise<void> {
    return agentId ? this.routing.assign(conversationId, agentId, by) : this.routing.unassign(conversationId, by);
  }

  /** Moves the conversation to another team's queue, unassigned: their desk picks it up. */
  async transfer(conversationId: string, team: string, by: string, note?: string): Promise<void> {
    const now = this.now();
    await this.db.write(async (tx) => {
      const conversation = await this.#conversation(tx, conversationId);
      await transferConversation(tx, this.events, conversation, { team, note: note ?? `transferred by ${by}` }, now);
      await this.#audit(tx, by, 'conversation.transfer', conversation.id, { team });
    });
  }

  /** Closes the conversation; `conversation.resolved` fires the CSAT trigger. */
  async resolve(conversationId: string, by: string): Promise<void> {
    const conversation = await this.findConversation(conversationId);
    await resolveConversation(this.db, this.events, conversation.id, by, this.now());
    await this.db.run((client) => client.conversationSnooze.deleteMany({ where: { conversationId: conversation.id } }));
  }

  /** Puts the conversation aside until `until`; `unsnooze` (or the time coming) brings it back. */
  async snooze(conversationId: string, until: Date, by: string): Promise<void> {
    const now = this.now();
    if (until.getTime() <= now.getTime()) throw new AgentFacingError('error.snooze_not_future', { until: until.toISOString() });
    await this.db.write(async (tx) => {
      const conversation = await this.#conversation(tx, conversationId);
      await tx.conversationSnooze.upsert({
        where: { conversationId: conversation.id },
        create: { conversationId: conversation.id, until, by },
        update: { until, by },
      });
      await this.#audit(tx, by, 'conversation.snooze', conversation.id, { until: until.toISOString() });
      await scheduleJobs(
        tx,
        this.db.dialect,
        // Its own lane: a job waiting for later must not hold up the conversation's events.
        [{ kind: UNSNOOZE_JOB, laneKey: `snooze:${conversation.id}`, payload: { conversationId: conversation.id }, runAt: until }],
        now,
      );
      await this.#emit(tx, conversation, { type: 'conversation.snoozed', until: until.toISOString(), by }, now);
    });
  }

  /** Ends a snooze early or when its time came; nothing happens if there is none or a newer one. */
  async unsnooze(conversationId: string, by: string, onlyIfDue = false): Promise<boolean> {
    const now = this.now();
    return this.db.write(async (tx) => {
      const conversation = await this.#conversation(tx, conversationId);
      const snooze = await tx.conversationSnooze.findUnique({ where: { conversationId: conversation.id } });
      if (!snooze || (onlyIfDue && snooze.until > now)) return false;
      await tx.conversationSnooze.delete({ where: { conversationId: conversation.id } });
      await this.#emit(tx, conversation, { type: 'conversation.snoozed', until: null, by }, now);
      return true;
    });
  }

  /** Gives the conversation back to the bot (flows answer again). */
  async handBack(conversationId: string, by: string): Promise<void> {
    const now = this.now();
    await this.db.write(async (tx) => {
      const conversation = await this.#conversation(tx, conversationId);
      if (conversation.status === 'bot') return;
      await tx.conversation.update({ where: { id: conversation.id }, data: { status: 'bot', assigneeId: null } });
      await this.#audit(tx, by, 'conversation.hand_back', conversation.id, {});
      await this.#emit(tx, conversation, { type: 'conversation.handed_back', by }, now);
    });
  }

  /** Asks the flow engine to start `flowId` in this conversation (e.g. a survey). */
  async requestFlow(conversationId: string, flowId: string, by: string): Promise<void> {
    if (!flowId.trim()) throw new AgentFacingError('error.which_flow');
    const now = this.now();
    await this.db.write(async (tx) => {
      const conversation = await this.#conversation(tx, conversationId);
      await this.#audit(tx, by, 'flow.start_request', conversation.id, { flowId });
      await this.#emit(tx, conversation, { type: 'flow.start_requested', flowId, by }, now);
    });
  }

  async setAvailability(agentId: string, availability: AgentAvailability): Promise<void> {
    await this.routing.setAvailability(agentId, availability, `agent:${agentId}`);
  }

  async #agent(tx: PrismaClient, id: string) {
    const agent = await tx.agent.findUnique({ where: { id } });
    if (!agent) throw new AgentFacingError('error.agent_not_found', { agent: id }, 404);
    return agent;
  }

  async #conversation(tx: PrismaClient, id: string): Promise<Conversation> {
    const conversation = await tx.conversation.findUnique({ where: { id } });
    if (!conversation) throw new AgentFacingError('error.conversation_not_found', { conversation: id }, 404);
    return conversation;
  }

  async #emit(
    tx: PrismaClient,
    conversation: Conversation,
    event: DistributiveOmit<Extract<DomainEvent, { conversationId: string; customerId: string }>, 'conversationId' | 'customerId'>,
    now: Date,
  ): Promise<void> {
    await this.events.emit(tx, [{ ...event, conversationId: conversation.id, customerId: conversation.customerId } as DomainEvent], now);
  }

  async #audit(tx: PrismaClient, actor: string, action: string, entityId: string, data: object, entityType = 'conversation'): Promise<void> {
    await recordAudit(tx, { actor, action, entityType, entityId, data });
  }
}

const UNSNOOZE_JOB = 'desk:unsnooze';

/** Registers the desk's own background work (snoozes coming back). */
export function registerDeskJobs(jobs: JobRunner, desk: Desk): void {
  jobs.register(UNSNOOZE_JOB, z.object({ conversationId: z.string() }), async (job) => {
    await desk.unsnooze(job.payload.conversationId, 'system', true);
  });
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
