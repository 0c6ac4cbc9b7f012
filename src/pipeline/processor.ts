import type { Logger } from 'pino';
import { normalizeAddress } from '../core/address.ts';
import type { ChannelCapabilities } from '../core/channel.ts';
import { newId } from '../core/ids.ts';
import { detectLocale } from '../core/locale.ts';
import type { ParsedInboundMessage } from '../core/message.ts';
import { foldForMatch } from '../core/text.ts';
import { bulkInsert } from '../db/bulk-insert.ts';
import type { Database, Prisma as PrismaClient } from '../db/database.ts';
import { type ChannelIdentity, type Conversation, type Customer, type InboxEvent, Prisma } from '../generated/sqlite/client.ts';
import type { DomainEvent } from '../core/events.ts';
import type { EventBus } from './events.ts';
import type { ConversationPatch, HandlerSelector, HandoffRequest, Turn } from './handler.ts';
import type { Leases } from './leases.ts';
import { buildOutbound, MESSAGE_COLUMNS, type MessageRow, OUTBOX_COLUMNS, type OutboxRow } from './outbound.ts';
import { WorkerLoops } from './worker-loops.ts';

export interface ProcessorOptions {
  /** Lanes (customer identities) handled together in one batch. */
  readonly batchSize: number;
  /** Batches in flight at once in this process. */
  readonly loops: number;
  readonly pollIntervalMs: number;
  readonly reopenWindowMs: number;
  readonly defaultRegion: string | undefined;
  readonly defaultLocale: string;
  /** Unique per process: lease holder ids are derived from it. */
  readonly workerId: string;
}

interface Work {
  readonly event: InboxEvent;
  readonly inbound: ParsedInboundMessage;
  readonly address: string;
}

interface Resolved extends Work {
  customer: Customer;
  identity: ChannelIdentity;
  conversation: Conversation;
  isNewCustomer: boolean;
  isNewConversation: boolean;
  reopened: boolean;
}

class LostRaceError extends Error {}

/** Rows a batch creates or changes before its handlers run; written in the batch's transaction. */
interface Creations {
  readonly customers: Customer[];
  readonly identities: ChannelIdentity[];
  readonly conversations: Conversation[];
  readonly reopened: Conversation[];
}

// Columns written by the hot path's bulk inserts; the others take their database defaults.
const CUSTOMER_COLUMNS = {
  id: 'text',
  name: 'text',
  searchName: 'text',
  locale: 'text',
  attributes: 'json',
  tags: 'json',
  firstSeenAt: 'timestamp',
  lastSeenAt: 'timestamp',
  createdAt: 'timestamp',
  updatedAt: 'timestamp',
} as const;
const IDENTITY_COLUMNS = { id: 'text', customerId: 'text', channel: 'text', address: 'text', displayName: 'text', createdAt: 'timestamp' } as const;
const CONVERSATION_COLUMNS = {
  id: 'text',
  customerId: 'text',
  identityId: 'text',
  channel: 'text',
  subject: 'text',
  previousId: 'text',
  createdAt: 'timestamp',
  lastMessageAt: 'timestamp',
} as const;

/**
 * Turns stored inbound events into messages in conversations and hands each to its
 * handler. Each batch takes at most one event per lane, so a handler always sees the
 * committed result of the previous message of the same customer; lanes of a batch run
 * in parallel and all their writes commit in one transaction.
 */
export class InboundProcessor {
  readonly #loops: WorkerLoops;
  readonly #committed = new Set<(events: readonly { channel: string; externalId: string }[]) => void>();

  constructor(
    private readonly db: Database,
    private readonly leases: Leases,
    private readonly selectHandler: HandlerSelector,
    private readonly capabilitiesOf: (channel: string) => ChannelCapabilities | undefined,
    private readonly logger: Logger,
    private readonly options: ProcessorOptions,
    private readonly events: EventBus | undefined = undefined,
    private readonly onOutboundQueued: () => void = () => {},
    private readonly now: () => Date = () => new Date(),
  ) {
    this.#loops = new WorkerLoops('in', logger, async (holder) => ({ busy: (await this.runBatch(holder)) > 0, idleMs: options.pollIntervalMs }));
  }

  /** Called after each batch commits, with the events it handled (metrics, benchmarks). */
  onCommitted(listener: (events: readonly { channel: string; externalId: string }[]) => void): () => void {
    this.#committed.add(listener);
    return () => this.#committed.delete(listener);
  }

  start(): void {
    this.#loops.start(this.options.loops, this.options.workerId);
  }

  stop(): Promise<void> {
    return this.#loops.stop();
  }

  /** New events were stored: look now instead of at the next poll. */
  notify(): void {
    this.#loops.notify();
  }

  /** Handles at most one event per free lane; returns how many events it handled. */
  async runBatch(holder = `${this.options.workerId}/manual`): Promise<number> {
    const heads = await this.db.prisma.$queryRaw<{ laneKey: string; id: string }[]>`
      SELECT "laneKey", MIN("id") AS "id" FROM "InboxEvent"
      WHERE "status" = 'pending' AND ${this.leases.notHeld(Prisma.sql`"laneKey"`)}
      GROUP BY "laneKey" ORDER BY MIN("id") LIMIT ${this.options.batchSize}`;
    if (heads.length === 0) return 0;
    const owned = await this.leases.claim(
      holder,
      heads.map((h) => h.laneKey),
    );
    if (owned.length === 0) return 0;
    try {
      const ownedSet = new Set(owned);
      const events = await this.db.prisma.inboxEvent.findMany({
        where: { id: { in: heads.filter((h) => ownedSet.has(h.laneKey)).map((h) => h.id) }, status: 'pending' },
        orderBy: { id: 'asc' },
      });
      // The leases are released by the batch's own transaction; here only if it fails.
      await this.#process(events, { holder, keys: owned });
      return events.length;
    } catch (error) {
      await this.leases.release(holder, owned);
      if (error instanceof LostRaceError) return 0;
      throw error;
    }
  }

  /** Runs batches until no event is pending (tests, `parley chat`, shutdown). */
  async drain(): Promise<void> {
    while ((await this.runBatch()) > 0 || (await this.pendingCount()) > 0) {
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  pendingCount(): Promise<number> {
    return this.db.prisma.inboxEvent.count({ where: { status: 'pending' } });
  }

  async #process(events: InboxEvent[], leases: { holder: string; keys: string[] }): Promise<void> {
    const failed: { id: string; error: string }[] = [];
    const work: Work[] = [];
    for (const event of events) {
      const inbound = event.payload as unknown as ParsedInboundMessage;
      try {
        work.push({ event, inbound, address: normalizeAddress(inbound.sender.addressKind, inbound.sender.address, this.options.defaultRegion) });
      } catch (error) {
        failed.push({ id: event.id, error: (error as Error).message });
        this.logger.warn({ channel: event.channel, externalId: event.externalId, reason: (error as Error).message }, 'inbound: sender address unusable');
      }
    }
    const now = this.now();
    const creations: Creations = { customers: [], identities: [], conversations: [], reopened: [] };
    const resolved = work.length > 0 ? await this.#resolve(work, now, creations) : [];
    const commitGroup = {};
    const turns = await Promise.all(resolved.map((r) => this.#runHandler(r, now, commitGroup)));
    await this.db.write(async (tx) => {
      const done = await tx.inboxEvent.updateMany({
        where: { id: { in: resolved.map((r) => r.event.id) }, status: 'pending' },
        data: { status: 'done', processedAt: now },
      });
      if (done.count !== resolved.length) throw new LostRaceError('another worker handled part of this batch');
      // Customers, identities and conversations first met in this batch commit with it.
      await bulkInsert(tx, this.db.dialect, 'Customer', CUSTOMER_COLUMNS, creations.customers);
      await bulkInsert(tx, this.db.dialect, 'ChannelIdentity', IDENTITY_COLUMNS, creations.identities);
      await bulkInsert(tx, this.db.dialect, 'Conversation', CONVERSATION_COLUMNS, creations.conversations);
      for (const c of creations.reopened) await tx.conversation.update({ where: { id: c.id }, data: { status: c.status, resolvedAt: null } });
      for (const f of failed) await tx.inboxEvent.update({ where: { id: f.id }, data: { status: 'failed', error: f.error, processedAt: now } });
      for (const t of turns) if (t.error) await tx.inboxEvent.update({ where: { id: t.eventId }, data: { error: t.error } });
      await bulkInsert(
        tx,
        this.db.dialect,
        'Message',
        MESSAGE_COLUMNS,
        turns.flatMap((t) => t.messages),
      );
      const outbox = turns.flatMap((t) => t.outbox);
      if (outbox.length > 0) await bulkInsert(tx, this.db.dialect, 'OutboxItem', OUTBOX_COLUMNS, outbox);
      await tx.conversation.updateMany({ where: { id: { in: resolved.map((r) => r.conversation.id) } }, data: { lastMessageAt: now } });
      await tx.customer.updateMany({ where: { id: { in: resolved.map((r) => r.customer.id) } }, data: { lastSeenAt: now } });
      for (const t of turns) {
        if (t.handoff) t.patch = { ...t.patch, ...(await this.#handoffPatch(tx, t.handoff)) };
        if (t.patch) await tx.conversation.update({ where: { id: t.conversationId }, data: t.patch });
        for (const write of t.writes) await write(tx);
      }
      const domainEvents = turns.flatMap((t) => t.events);
      if (domainEvents.length > 0 && this.events) await this.events.emit(tx, domainEvents, now);
      await tx.lease.deleteMany({ where: { holder: leases.holder, key: { in: leases.keys } } });
    });
    if (turns.some((t) => t.outbox.length > 0)) this.onOutboundQueued();
    const handled = events.map((e) => ({ channel: e.channel, externalId: e.externalId }));
    for (const listener of this.#committed) listener(handled);
  }

  async #handoffPatch(tx: PrismaClient, request: HandoffRequest): Promise<ConversationPatch> {
    const team = request.team ? await tx.team.upsert({ where: { name: request.team }, create: { id: newId(), name: request.team }, update: {} }) : undefined;
    return { status: 'waiting_for_agent', teamId: team?.id ?? null, assigneeId: null, ...(request.priority ? { priority: request.priority } : {}) };
  }

  /** Finds the customer, identity and conversation of each event; new ones go into `creations`. */
  async #resolve(work: Work[], now: Date, creations: Creations): Promise<Resolved[]> {
    const identities = await this.db.prisma.channelIdentity.findMany({
      where: { address: { in: [...new Set(work.map((w) => w.address))] } },
      include: { customer: true },
    });
    const byKey = new Map(identities.map((i) => [`${i.channel}\u0000${i.address}`, i]));
    const { customers: newCustomers, identities: newIdentities } = creations;
    const partial = work.map((w) => {
      const key = `${w.event.channel}\u0000${w.address}`;
      const found = byKey.get(key);
      if (found) {
        const { customer, ...identity } = found;
        return { ...w, customer, identity, isNewCustomer: false };
      }
      const name = w.inbound.sender.displayName?.trim() || null;
      const customer: Customer = {
        id: newId(),
        name,
        searchName: name ? foldForMatch(name) : null,
        locale: detectLocale(w.inbound.text) ?? null,
        lifecycleStage: 'new',
        attributes: {},
        tags: [],
        isKey: false,
        firstSeenAt: now,
        lastSeenAt: now,
        mergedIntoId: null,
        createdAt: now,
        updatedAt: now,
      };
      const identity: ChannelIdentity = {
        id: newId(),
        customerId: customer.id,
        channel: w.event.channel,
        address: w.address,
        displayName: name,
        optedOutAt: null,
        createdAt: now,
      };
      newCustomers.push(customer);
      newIdentities.push(identity);
      byKey.set(key, { ...identity, customer });
      return { ...w, customer, identity, isNewCustomer: true };
    });
    return this.#attachConversations(this.db.prisma, partial, now, creations);
  }

  async #attachConversations(
    reader: PrismaClient,
    items: (Work & { customer: Customer; identity: ChannelIdentity; isNewCustomer: boolean })[],
    now: Date,
    creations: Creations,
  ): Promise<Resolved[]> {
    const returning = items.filter((i) => !i.isNewCustomer);
    const cutoff = new Date(now.getTime() - this.options.reopenWindowMs);
    const existing =
      returning.length === 0
        ? []
        : await reader.conversation.findMany({
            where: {
              customerId: { in: returning.map((i) => i.customer.id) },
              OR: [{ status: { not: 'resolved' } }, { resolvedAt: { gte: cutoff } }],
            },
            orderBy: { lastMessageAt: 'desc' },
          });
    const pick = (customerId: string, channel: string) => {
      const mine = existing.filter((c) => c.customerId === customerId && c.channel === channel);
      return mine.find((c) => c.status !== 'resolved') ?? mine[0];
    };
    const { conversations: toCreate, reopened: reopen } = creations;
    const resolved: Resolved[] = items.map((item) => {
      const found = pick(item.customer.id, item.event.channel);
      if (found && found.status !== 'resolved') return { ...item, conversation: found, isNewConversation: false, reopened: false };
      if (found) {
        found.status = found.assigneeId ? 'assigned' : 'bot';
        found.resolvedAt = null;
        reopen.push(found);
        return { ...item, conversation: found, isNewConversation: false, reopened: true };
      }
      const conversation: Conversation = {
        id: newId(),
        customerId: item.customer.id,
        identityId: item.identity.id,
        channel: item.event.channel,
        status: 'bot',
        teamId: null,
        assigneeId: null,
        priority: 'normal',
        subject: item.inbound.subject ?? null,
        previousId: null,
        createdAt: now,
        lastMessageAt: now,
        firstResponseAt: null,
        resolvedAt: null,
      };
      toCreate.push(conversation);
      existing.push(conversation);
      return { ...item, conversation, isNewConversation: true, reopened: false };
    });
    await this.#linkToPrevious(
      reader,
      toCreate.filter((c) => returning.some((r) => r.customer.id === c.customerId)),
    );
    return resolved;
  }

  /** A returning customer's new conversation points at their last one on that channel. */
  async #linkToPrevious(reader: PrismaClient, conversations: Conversation[]): Promise<void> {
    if (conversations.length === 0) return;
    const previous = await reader.conversation.findMany({
      where: { customerId: { in: conversations.map((c) => c.customerId) }, status: 'resolved' },
      orderBy: { resolvedAt: 'desc' },
      select: { id: true, customerId: true, channel: true },
    });
    for (const c of conversations) {
      c.previousId = previous.find((p) => p.customerId === c.customerId && p.channel === c.channel)?.id ?? null;
    }
  }

  async #runHandler(r: Resolved, now: Date, commitGroup: object) {
    const inboundMessage: MessageRow = {
      agentId: null,
      id: newId(),
      conversationId: r.conversation.id,
      channel: r.event.channel,
      direction: 'inbound',
      authorKind: 'customer',
      text: r.inbound.text ?? null,
      attachments: r.inbound.attachments,
      interactiveReplyId: r.inbound.interactiveReply?.id ?? null,
      location: r.inbound.location ?? null,
      replyToExternalId: r.inbound.replyTo ?? null,
      externalId: r.event.externalId,
      deliveryStatus: 'received',
      createdAt: r.event.receivedAt,
    };
    const result = {
      eventId: r.event.id,
      conversationId: r.conversation.id,
      messages: [inboundMessage],
      outbox: [] as OutboxRow[],
      patch: undefined as ConversationPatch | undefined,
      writes: [] as ((tx: PrismaClient) => Promise<void>)[],
      events: [] as DomainEvent[],
      handoff: undefined as HandoffRequest | undefined,
      error: undefined as string | undefined,
    };
    if (r.reopened) result.events.push({ type: 'conversation.reopened', conversationId: r.conversation.id, customerId: r.customer.id });
    const handler = this.selectHandler(r.conversation);
    // Bodies are customer data: only at debug level.
    this.logger.debug({ conversationId: r.conversation.id, channel: r.event.channel, text: r.inbound.text, handler: handler.name }, 'inbound: message');
    const replies: MessageRow[] = [];
    const turn: Turn = {
      message: {
        id: inboundMessage.id,
        externalId: r.event.externalId,
        text: r.inbound.text,
        interactiveReplyId: r.inbound.interactiveReply?.id,
        receivedAt: r.event.receivedAt,
      },
      inbound: r.inbound,
      customer: r.customer,
      identity: r.identity,
      conversation: r.conversation,
      isNewCustomer: r.isNewCustomer,
      isNewConversation: r.isNewConversation,
      reopened: r.reopened,
      capabilities: this.capabilitiesOf(r.event.channel),
      locale: r.customer.locale ?? detectLocale(r.inbound.text) ?? this.options.defaultLocale,
      db: this.db,
      logger: this.logger,
      reply: (content) => {
        // Replies are ordered after the message they answer, even within one millisecond.
        const at = new Date(now.getTime() + replies.length + 1);
        const { message, outbox } = buildOutbound(
          {
            conversationId: r.conversation.id,
            channel: r.event.channel,
            recipient: r.identity.address,
            content,
            authorKind: 'bot',
            replyTo: r.event.externalId,
            subject: r.conversation.subject ?? undefined,
          },
          at,
        );
        replies.push(message);
        result.outbox.push(outbox);
      },
      updateConversation: (patch) => {
        result.patch = { ...result.patch, ...patch };
      },
      handOff: (request) => {
        result.handoff = request;
        result.events.push({
          type: 'conversation.handed_off',
          conversationId: r.conversation.id,
          customerId: r.customer.id,
          team: request.team ?? null,
          priority: request.priority ?? r.conversation.priority,
          note: request.note,
          collected: { ...request.collected },
        });
      },
      emit: (event) => {
        result.events.push(event);
      },
      onCommit: (write) => {
        result.writes.push(write);
      },
      commitGroup,
    };
    try {
      await handler.handle(turn);
      result.messages.push(...replies);
    } catch (error) {
      // The message is kept; what the handler asked for is dropped with it.
      result.outbox = [];
      result.patch = undefined;
      result.writes = [];
      result.handoff = undefined;
      result.events = result.events.filter((e) => e.type === 'conversation.reopened');
      result.error = `handler ${handler.name} failed: ${(error as Error).message}`;
      this.logger.error({ err: error, conversationId: r.conversation.id, handler: handler.name }, 'inbound: handler failed; message stored without a reply');
    }
    return result;
  }
}
