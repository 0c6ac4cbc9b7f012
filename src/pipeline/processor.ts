import type { Logger } from 'pino';
import { normalizeAddress } from '../core/address.ts';
import type { ChannelCapabilities } from '../core/channel.ts';
import { newId, newRef } from '../core/ids.ts';
import { detectLocale, requestedLocale } from '../core/locale.ts';
import { InboundMessageSchema, type ParsedInboundMessage } from '../core/message.ts';
import { foldForMatch } from '../core/text.ts';
import { proposeMatchesOfMany } from '../crm/suggestions.ts';
import { bulkInsert } from '../db/bulk-insert.ts';
import type { Database, Prisma as PrismaClient } from '../db/database.ts';
import { type ChannelIdentity, type Conversation, type Customer, type InboxEvent, Prisma } from '../generated/sqlite/client.ts';
import type { DomainEvent } from '../core/events.ts';
import type { EventBus } from './events.ts';
import { type Amendment, amendmentText, applyAmendment, moveIdentity, targetText } from './amendments.ts';
import { type BatchScope, type ConversationPatch, type HandlerSelector, type HandoffRequest, isHumanHandled, type Turn } from './handler.ts';
import { handoffEvent, handoffPatch } from './handoff.ts';
import { InboundQueries } from './inbound-queries.ts';
import { LaneHints } from './lane-hints.ts';
import type { RecentInbound } from './recent-inbound.ts';
import type { Leases } from './leases.ts';
import { buildOutbound, type MessageRow, type OutboxRow } from './outbound.ts';
import { WorkerLoops } from './worker-loops.ts';
import { pendingEventCount } from './queue-rows.ts';
import { TEAM_COLUMNS } from '../db/columns.ts';

export interface ProcessorOptions {
  /** Lanes (customer identities) handled together in one batch. */
  readonly batchSize: number;
  /** Batches in flight at once in this process. */
  readonly loops: number;
  readonly pollIntervalMs: number;
  readonly reopenWindowMs: number;
  readonly defaultRegion: string | undefined;
  readonly defaultLocale: string;
  /** A phone number known on another channel joins that customer (PARLEY_LINK_SAME_PHONE). */
  readonly linkSamePhone?: boolean;
  /** Unique per process: lease holder ids are derived from it. */
  readonly workerId: string;
  /** Told when each handled customer last wrote (the reply window check before sends). */
  readonly recentInbound?: RecentInbound;
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
  /** When reopened: when it had been resolved, to undo the reopen if the handler keeps it resolved. */
  wasResolvedAt?: Date | null;
}

class LostRaceError extends Error {}

class Batch implements BatchScope {
  readonly #shared = new Map<string, unknown>();
  readonly writes: ((tx: PrismaClient) => Promise<void>)[] = [];

  constructor(readonly conversationIds: readonly string[]) {}

  shared<T>(key: string, create: () => T): T {
    if (!this.#shared.has(key)) this.#shared.set(key, create());
    return this.#shared.get(key) as T;
  }

  onCommit(write: (tx: PrismaClient) => Promise<void>): void {
    this.writes.push(write);
  }
}

/** Rows a batch creates or changes before its handlers run; written in the batch's transaction. */
interface Creations {
  readonly customers: Customer[];
  readonly identities: ChannelIdentity[];
  readonly conversations: Conversation[];
  readonly reopened: Conversation[];
  /** Known customers without a name, named from this message's sender. */
  readonly named: Customer[];
}

type Identified = Work & { customer: Customer; identity: ChannelIdentity; isNewCustomer: boolean };

/** Provider ids per message the thread lookup considers (bounds the batch's IN list). */
const MAX_THREAD_REFERENCES = 20;
const referencesOf = (w: { readonly inbound: ParsedInboundMessage }): string[] => w.inbound.thread?.references.slice(0, MAX_THREAD_REFERENCES) ?? [];

/**
 * Turns stored inbound events into messages in conversations and hands each to its
 * handler. Each batch takes at most one event per lane, so a handler always sees the
 * committed result of the previous message of the same customer; lanes of a batch run
 * in parallel and all their writes commit in one transaction.
 */
export class InboundProcessor {
  readonly #loops: WorkerLoops;
  readonly #queries: InboundQueries;
  readonly #hints: LaneHints;
  readonly #committed = new Set<(events: readonly { channel: string; externalId: string }[]) => void>();

  constructor(
    private readonly db: Database,
    private readonly leases: Leases,
    private readonly selectHandler: HandlerSelector,
    private readonly capabilitiesOf: (channel: string) => ChannelCapabilities | undefined,
    private readonly logger: Logger,
    private readonly options: ProcessorOptions,
    private readonly events: EventBus | undefined = undefined,
    /** Called with the sends a batch queued (the dispatcher claims their lanes first). */
    private readonly onOutboundQueued: (sends: readonly { channel: string; laneKey: string }[]) => void = () => {},
    private readonly now: () => Date = () => new Date(),
  ) {
    this.#queries = new InboundQueries(db, leases);
    this.#hints = new LaneHints(options.pollIntervalMs);
    this.#loops = new WorkerLoops('in', logger, async (holder) => {
      const handled = await this.runBatch(holder);
      return { busy: handled > 0, full: handled >= options.batchSize, idleMs: options.pollIntervalMs };
    });
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

  /** New events were stored (in these lanes, when this process stored them): look now instead of at the next poll. */
  notify(lanes: readonly string[] = []): void {
    this.#hints.add(lanes);
    this.#loops.notify();
  }

  /** Handles at most one event per free lane; returns how many events it handled. */
  async runBatch(holder = `${this.options.workerId}/manual`): Promise<number> {
    const hinted = this.#hints.take(this.options.batchSize);
    try {
      let claimed = await this.#queries.claimHeads(holder, this.options.batchSize, hinted);
      if (hinted) {
        // Hinted lanes with nothing left to claim are forgotten; with no work at all, scan.
        const found = new Set(claimed.events.map((e) => e.laneKey));
        this.#hints.forget(hinted.filter((lane) => !found.has(lane)));
        if (claimed.events.length === 0) {
          await this.leases.release(holder, claimed.lanes);
          claimed = await this.#queries.claimHeads(holder, this.options.batchSize);
        }
      }
      const { events, lanes } = claimed;
      if (lanes.length === 0) return 0;
      try {
        // The leases are released by the batch's own transaction; here only if it fails.
        await this.#process(events, { holder, keys: lanes });
        this.#hints.handled(events.map((e) => e.laneKey));
        return events.length;
      } catch (error) {
        await this.leases.release(holder, lanes);
        if (error instanceof LostRaceError) return 0;
        throw error;
      }
    } finally {
      this.#hints.release(hinted);
    }
  }

  /** Runs batches until no event is pending (tests, `parley chat`, shutdown). */
  async drain(): Promise<void> {
    while ((await this.runBatch()) > 0 || (await this.pendingCount()) > 0) {
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Events not handled yet (of these lanes, when given). */
  pendingCount(lanes?: readonly string[]): Promise<number> {
    return pendingEventCount(this.db, lanes);
  }

  async #process(events: InboxEvent[], leases: { holder: string; keys: string[] }): Promise<void> {
    const failed: { id: string; error: string }[] = [];
    const work: Work[] = [];
    for (const event of events) {
      try {
        // Stored after validation, read back as JSON: parsed again, so a row written by another version fails alone.
        const inbound: ParsedInboundMessage = InboundMessageSchema.parse(event.payload);
        work.push({ event, inbound, address: normalizeAddress(inbound.sender.addressKind, inbound.sender.address, this.options.defaultRegion) });
      } catch (error) {
        failed.push({ id: event.id, error: (error as Error).message });
        this.logger.warn({ channel: event.channel, externalId: event.externalId, reason: (error as Error).message }, 'inbound: sender address unusable');
      }
    }
    const now = this.now();
    const creations: Creations = { customers: [], identities: [], conversations: [], reopened: [], named: [] };
    const resolved = work.length > 0 ? await this.#resolve(work, now, creations) : [];
    const batch = new Batch(resolved.map((r) => r.conversation.id));
    const turns = await Promise.all(resolved.map((r) => this.#runHandler(r, now, batch)));
    const domainEvents = turns.flatMap((t) => t.events);
    // The batch need not wait for the disk (a synced commit blocks SQLite's event loop for a disk
    // sync): its events are stored already, and a power cut that undoes it leaves them pending, to
    // be handled again. Its replies go out only after their `sending` mark, a synced commit that
    // makes the batch durable first (the log is written in order). Events, though, wake
    // subscribers that act outside (desk notices, mail): a batch with events is synced.
    await this.db.write(
      async (tx) => {
        const done = await this.#queries.commitBatch(
          tx,
          {
            ...creations,
            messages: turns.flatMap((t) => t.messages),
            outbox: turns.flatMap((t) => t.outbox),
            eventIds: resolved.map((r) => r.event.id),
            conversationIds: [...new Set(resolved.map((r) => r.conversation.id))],
            customerIds: [...new Set(resolved.map((r) => r.customer.id))],
            holder: leases.holder,
            lanes: leases.keys,
          },
          now,
        );
        if (done !== resolved.length) throw new LostRaceError('another worker handled part of this batch');
        for (const c of creations.named) await tx.customer.update({ where: { id: c.id }, data: { name: c.name, searchName: c.searchName } });
        // A new record whose email or phone another record has (a flow collected it there): proposed as a merge.
        await proposeMatchesOfMany(
          tx,
          this.db.dialect,
          resolved.flatMap((r) => {
            const kind = r.inbound.sender.addressKind;
            return r.isNewCustomer && (kind === 'email' || kind === 'phone') ? [{ customerId: r.customer.id, kind, address: r.address }] : [];
          }),
        );
        const keptResolved = new Set(turns.filter((t) => t.keepResolved).map((t) => t.conversationId));
        for (const c of creations.reopened) {
          if (!keptResolved.has(c.id)) await tx.conversation.update({ where: { id: c.id }, data: { status: c.status, resolvedAt: null } });
        }
        for (const f of failed) await tx.inboxEvent.update({ where: { id: f.id }, data: { status: 'failed', error: f.error, processedAt: now } });
        for (const t of turns) if (t.error) await tx.inboxEvent.update({ where: { id: t.eventId }, data: { error: t.error } });
        for (const t of turns) {
          if (t.handoff) t.patch = { ...t.patch, ...(await handoffPatch(tx, t.handoff)) };
          if (t.patch) await tx.conversation.update({ where: { id: t.conversationId }, data: t.patch });
          for (const write of t.writes) await write(tx);
        }
        for (const write of batch.writes) await write(tx);
        if (domainEvents.length > 0 && this.events) await this.events.emit(tx, domainEvents, now);
      },
      { synced: domainEvents.length > 0 },
    );
    const queued = turns.flatMap((t) => t.outbox);
    if (queued.length > 0) this.onOutboundQueued(queued);
    // Subscribers' jobs were stored with the batch: wake the job runner (timers wait for their time).
    if (turns.some((t) => t.events.length > 0)) this.events?.notify();
    const handled = events.map((e) => ({ channel: e.channel, externalId: e.externalId }));
    for (const r of resolved) this.options.recentInbound?.note(r.event.channel, r.identity.address, r.event.receivedAt, r.inbound.sentAt);
    for (const listener of this.#committed) listener(handled);
  }

  /** Finds the customer, identity and conversation of each event; new ones go into `creations`. */
  async #resolve(work: Work[], now: Date, creations: Creations): Promise<Resolved[]> {
    const identities = await this.#queries.identitiesWithCustomers([...new Set(work.map((w) => w.address))]);
    const byKey = new Map(identities.map((i) => [`${i.channel}\u0000${i.address}`, i]));
    // Phone identities by number, the oldest customer first: a new channel of a known number joins it.
    const byPhone = new Map<string, Customer>();
    if (this.options.linkSamePhone) {
      for (const i of [...identities].sort((a, b) => a.customer.firstSeenAt.getTime() - b.customer.firstSeenAt.getTime())) {
        if (this.#isPhoneIdentity(i) && !byPhone.has(i.address)) byPhone.set(i.address, i.customer);
      }
    }
    const answering = await this.#customersAnswered(work.filter((w) => !byKey.has(`${w.event.channel}\u0000${w.address}`)));
    const { customers: newCustomers, identities: newIdentities } = creations;
    const partial = work.map((w) => {
      const key = `${w.event.channel}\u0000${w.address}`;
      const found = byKey.get(key);
      const name = w.inbound.sender.displayName?.trim() || null;
      if (found) {
        const { customer, ...identity } = found;
        // The display name fills an empty customer name.
        if (!customer.name && name && !creations.named.includes(customer)) {
          customer.name = name;
          customer.searchName = foldForMatch(name);
          creations.named.push(customer);
        }
        return { ...w, customer, identity, isNewCustomer: false };
      }
      const known = (w.inbound.sender.addressKind === 'phone' ? byPhone.get(w.address) : undefined) ?? answering.get(key);
      if (known) {
        const identity = this.#newIdentity(known.id, w.event.channel, w.address, name, now);
        newIdentities.push(identity);
        byKey.set(key, { ...identity, customer: known });
        return { ...w, customer: known, identity, isNewCustomer: false };
      }
      const customer: Customer = {
        id: newId(),
        name,
        searchName: name ? foldForMatch(name) : null,
        locale: detectLocale(w.inbound.text, { address: w.address }) ?? null,
        lifecycleStage: 'new',
        attributes: {},
        tags: [],
        isKey: false,
        keyReason: null,
        keySource: null,
        firstSeenAt: now,
        lastSeenAt: now,
        mergedIntoId: null,
        createdAt: now,
        updatedAt: now,
      };
      const identity = this.#newIdentity(customer.id, w.event.channel, w.address, name, now);
      if (this.options.linkSamePhone && w.inbound.sender.addressKind === 'phone') byPhone.set(w.address, customer);
      newCustomers.push(customer);
      newIdentities.push(identity);
      byKey.set(key, { ...identity, customer });
      return { ...w, customer, identity, isNewCustomer: true };
    });
    return this.#attachConversations(this.db.prisma, partial, now, creations);
  }

  /**
   * Senders new on their channel who answer a message Parley sent to this very address there
   * (by its provider id in their threading references): they are that message's customer,
   * whichever channel the conversation began on, e.g. a website visitor answering the email copy
   * of an agent's reply. Keyed like the identities: channel and address.
   */
  async #customersAnswered(work: Work[]): Promise<Map<string, Customer>> {
    const answering = new Map<string, Customer>();
    const referencing = work.filter((w) => referencesOf(w).length > 0);
    if (referencing.length === 0) return answering;
    const sent = await this.db.prisma.message.findMany({
      where: {
        direction: 'outbound',
        channel: { in: [...new Set(referencing.map((w) => w.event.channel))] },
        externalId: { in: [...new Set(referencing.flatMap(referencesOf))] },
      },
      select: { channel: true, externalId: true, outbox: { select: { recipient: true } }, conversation: { select: { customer: true } } },
    });
    for (const w of referencing) {
      const references = referencesOf(w);
      const answered = sent.find(
        (m) => m.channel === w.event.channel && references.includes(m.externalId as string) && m.outbox !== null && this.#sameAddress(w, m.outbox.recipient),
      );
      if (answered) answering.set(`${w.event.channel}\u0000${w.address}`, answered.conversation.customer);
    }
    return answering;
  }

  #sameAddress(w: Work, recipient: string): boolean {
    try {
      return normalizeAddress(w.inbound.sender.addressKind, recipient, this.options.defaultRegion) === w.address;
    } catch {
      return false;
    }
  }

  /** A phone identity: of a phone channel, or (a channel not running now) an E.164 address. */
  #isPhoneIdentity(identity: { channel: string; address: string }): boolean {
    const capabilities = this.capabilitiesOf(identity.channel);
    return capabilities ? capabilities.addressKind === 'phone' : /^\+\d{6,15}$/.test(identity.address);
  }

  #newIdentity(customerId: string, channel: string, address: string, displayName: string | null, now: Date): ChannelIdentity {
    return { id: newId(), customerId, channel, address, displayName, optedOutAt: null, createdAt: now };
  }

  async #attachConversations(reader: PrismaClient, items: Identified[], now: Date, creations: Creations): Promise<Resolved[]> {
    const returning = items.filter((i) => !i.isNewCustomer);
    const unthreaded = returning.filter((i) => !i.inbound.thread);
    const cutoff = new Date(now.getTime() - this.options.reopenWindowMs);
    const existing = unthreaded.length === 0 ? [] : await this.#queries.openOrRecentConversations([...new Set(unthreaded.map((i) => i.customer.id))], cutoff);
    const pick = (customerId: string, channel: string) => {
      const mine = existing.filter((c) => c.customerId === customerId && c.channel === channel);
      return mine.find((c) => c.status !== 'resolved') ?? mine[0];
    };
    const threadMatch = await this.#threadMatcher(
      reader,
      returning.filter((i) => i.inbound.thread),
      now,
    );
    const teamIds = await this.#teamIds(items);
    const { conversations: toCreate, reopened: reopen } = creations;
    const reopenedFrom = new Map<string, Date | null>();
    const resolved: Resolved[] = items.map((item) => {
      const found = item.isNewCustomer ? undefined : item.inbound.thread ? threadMatch(item) : pick(item.customer.id, item.event.channel);
      if (found && found.status !== 'resolved') return { ...item, conversation: found, isNewConversation: false, reopened: false };
      if (found && (!item.inbound.thread || (found.resolvedAt && found.resolvedAt >= cutoff))) {
        // Two messages of one batch may reopen the same conversation: remember the first's view.
        const wasResolvedAt = reopenedFrom.has(found.id) ? reopenedFrom.get(found.id) : found.resolvedAt;
        if (!reopen.includes(found)) {
          reopenedFrom.set(found.id, found.resolvedAt);
          found.status = found.assigneeId ? 'assigned' : 'bot';
          found.resolvedAt = null;
          reopen.push(found);
        }
        return { ...item, conversation: found, isNewConversation: false, reopened: true, wasResolvedAt };
      }
      const conversation: Conversation = {
        id: newId(),
        customerId: item.customer.id,
        identityId: item.identity.id,
        channel: item.event.channel,
        status: 'bot',
        teamId: (item.inbound.team && teamIds.get(item.inbound.team)) ?? null,
        assigneeId: null,
        priority: 'normal',
        subject: item.inbound.subject ?? null,
        // A thread that continues a conversation resolved too long ago starts a new one after it.
        previousId: found?.id ?? null,
        ref: newRef(),
        subjectKey: item.inbound.thread?.subjectKey ?? null,
        tags: null,
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
      toCreate.filter((c) => !c.previousId && returning.some((r) => r.customer.id === c.customerId)),
    );
    return resolved;
  }

  /**
   * For messages with threading hints: one lookup of the referenced messages and one of the
   * candidate conversations for the whole batch, then the order per message:
   * references, token, same identity and subject within the window. Only conversations of
   * the sender's own customer match: by reference, one begun on another channel whose reply was
   * copied through this one; by token or subject, one on the same channel. Anything else is a
   * new conversation.
   */
  async #threadMatcher(reader: PrismaClient, items: Identified[], now: Date): Promise<(item: Identified) => Conversation | undefined> {
    if (items.length === 0) return () => undefined;
    const channels = [...new Set(items.map((i) => i.event.channel))];
    const references = [...new Set(items.flatMap(referencesOf))];
    const referenced =
      references.length === 0
        ? []
        : await reader.message.findMany({
            where: { channel: { in: channels }, externalId: { in: references } },
            select: { channel: true, externalId: true, conversationId: true },
          });
    const conversationOfReference = new Map(referenced.map((m) => [`${m.channel}\u0000${m.externalId}`, m.conversationId]));
    const tokens = [...new Set(items.flatMap((i) => (i.inbound.thread?.token ? [i.inbound.thread.token] : [])))];
    const keyed = items.filter((i) => i.inbound.thread?.subjectKey);
    const longestWindow = Math.max(0, ...keyed.map((i) => i.inbound.thread?.windowMs ?? 0));
    const or: Prisma.ConversationWhereInput[] = [];
    if (referenced.length > 0) or.push({ id: { in: [...new Set(referenced.map((m) => m.conversationId))] } });
    if (tokens.length > 0) or.push({ ref: { in: tokens } });
    if (keyed.length > 0 && longestWindow > 0)
      or.push({
        identityId: { in: keyed.map((i) => i.identity.id) },
        subjectKey: { in: keyed.map((i) => i.inbound.thread?.subjectKey as string) },
        lastMessageAt: { gte: new Date(now.getTime() - longestWindow) },
      });
    const candidates = or.length === 0 ? [] : await reader.conversation.findMany({ where: { OR: or }, orderBy: { lastMessageAt: 'desc' } });
    const byId = new Map(candidates.map((c) => [c.id, c]));
    return (item) => {
      const thread = item.inbound.thread;
      if (!thread) return undefined;
      const mine = (c: Conversation | undefined) => (c && c.customerId === item.customer.id && c.channel === item.event.channel ? c : undefined);
      for (const reference of referencesOf(item)) {
        // A message of this channel may belong to a conversation begun on another (a copy sent through it).
        const id = conversationOfReference.get(`${item.event.channel}\u0000${reference}`);
        const found = id ? byId.get(id) : undefined;
        if (found && found.customerId === item.customer.id) return found;
      }
      if (thread.token) {
        const found = mine(candidates.find((c) => c.ref === thread.token));
        if (found) return found;
      }
      if (thread.subjectKey && thread.windowMs) {
        const since = now.getTime() - thread.windowMs;
        return candidates.find(
          (c) =>
            c.identityId === item.identity.id && c.subjectKey === thread.subjectKey && c.channel === item.event.channel && c.lastMessageAt.getTime() >= since,
        );
      }
      return undefined;
    };
  }

  /** Ids of the teams new conversations are sent to by name; missing teams are created. */
  async #teamIds(items: Identified[]): Promise<Map<string, string>> {
    const names = [...new Set(items.flatMap((i) => (i.inbound.team ? [i.inbound.team] : [])))];
    if (names.length === 0) return new Map();
    const find = async () => new Map((await this.db.prisma.team.findMany({ where: { name: { in: names } } })).map((t) => [t.name, t.id]));
    let ids = await find();
    const missing = names.filter((n) => !ids.has(n));
    if (missing.length > 0) {
      const now = this.now();
      await this.db.run((client) =>
        bulkInsert(
          client,
          this.db.dialect,
          'Team',
          TEAM_COLUMNS,
          missing.map((name) => ({ id: newId(), name, createdAt: now })),
          { skipConflictsOn: ['name'] },
        ),
      );
      ids = await find();
    }
    return ids;
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

  /** STOP / START / HELP: the identity's consent changes with the message; the carrier-required answer is queued or recorded. */
  #applyConsent(
    r: Resolved,
    consent: NonNullable<ParsedInboundMessage['consent']>,
    now: Date,
    result: { messages: MessageRow[]; outbox: OutboxRow[]; writes: ((tx: PrismaClient) => Promise<void>)[] },
  ): void {
    this.logger.info({ channel: r.event.channel, identityId: r.identity.id, action: consent.action }, 'inbound: consent keyword');
    if (consent.action !== 'help') {
      const optedOutAt = consent.action === 'opt_out' ? now : null;
      result.writes.push(async (tx) => {
        await tx.channelIdentity.update({ where: { id: r.identity.id }, data: { optedOutAt } });
      });
    }
    if (!consent.reply) return;
    const { message, outbox } = buildOutbound(
      {
        conversationId: r.conversation.id,
        channel: r.event.channel,
        recipient: r.identity.address,
        content: { text: consent.reply.text },
        authorKind: 'system',
        replyTo: r.event.externalId,
        consentReply: true,
      },
      new Date(now.getTime() + 1),
    );
    if (consent.reply.sentBy === 'provider') {
      result.messages.push({ ...message, deliveryStatus: 'sent' });
    } else {
      result.messages.push(message);
      result.outbox.push(outbox);
    }
  }

  /** A reaction, edit or deletion: stored as a line that quotes its target, and applied to the target. */
  async #applyAmendment(r: Resolved, amendment: Amendment, row: MessageRow, result: { writes: ((tx: PrismaClient) => Promise<void>)[] }): Promise<void> {
    const channel = r.event.channel;
    const quoted = await targetText(this.db.prisma, channel, r.identity.id, amendment.target);
    row.text = amendmentText(amendment, quoted);
    row.replyToExternalId = amendment.target;
    result.writes.push(async (tx) => {
      const changed = await applyAmendment(tx, channel, r.identity.id, amendment);
      this.logger.debug({ channel, kind: amendment.kind, target: amendment.target, changed }, 'inbound: amendment applied');
    });
  }

  /** The customer's new address: the identity moves there (their conversations and history with it). */
  #moveIdentity(r: Resolved, address: string, row: MessageRow, result: { writes: ((tx: PrismaClient) => Promise<void>)[] }): void {
    row.text ??= `changed their address to ${address}`;
    result.writes.push(async (tx) => {
      const moved = await moveIdentity(tx, r.identity, r.inbound.sender.addressKind, address, this.options.defaultRegion);
      if (moved.status === 'taken')
        this.logger.warn({ identityId: r.identity.id, address: moved.address }, 'inbound: new address already belongs to another identity; not moved');
      else this.logger.info({ identityId: r.identity.id, status: moved.status }, 'inbound: identity address changed');
    });
  }

  async #runHandler(r: Resolved, now: Date, batch: Batch) {
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
      keepResolved: false,
      error: undefined as string | undefined,
    };
    if (r.reopened) result.events.push({ type: 'conversation.reopened', conversationId: r.conversation.id, customerId: r.customer.id });
    if (r.inbound.consent) {
      this.#applyConsent(r, r.inbound.consent, now, result);
      return result;
    }
    if (r.inbound.amends || r.inbound.addressChange) {
      if (r.inbound.amends) await this.#applyAmendment(r, r.inbound.amends, inboundMessage, result);
      if (r.inbound.addressChange) this.#moveIdentity(r, r.inbound.addressChange.address, inboundMessage, result);
      // Agents see it where they work; the bot and flows never take it as an answer.
      if (isHumanHandled(r.conversation))
        result.events.push({
          type: 'conversation.customer_message',
          conversationId: r.conversation.id,
          customerId: r.customer.id,
          messageId: inboundMessage.id,
        });
      return result;
    }
    const requested = requestedLocale(r.inbound.text);
    if (requested && requested !== r.customer.locale) {
      // "English please", "فارسی", "بالعربي": the customer chooses the language from now on.
      r.customer.locale = requested;
      result.writes.push(async (tx) => {
        await tx.customer.update({ where: { id: r.customer.id }, data: { locale: requested } });
      });
    } else if (!r.customer.locale && !r.isNewCustomer) {
      // The first message that tells the customer's language fixes it on their record.
      const learned = detectLocale(r.inbound.text, { address: r.identity.address });
      if (learned) {
        r.customer.locale = learned;
        result.writes.push(async (tx) => {
          await tx.customer.updateMany({ where: { id: r.customer.id, locale: null }, data: { locale: learned } });
        });
      }
    }
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
      locale: r.customer.locale ?? detectLocale(r.inbound.text, { address: r.identity.address }) ?? this.options.defaultLocale,
      db: this.db,
      logger: this.logger,
      batch,
      now,
      reply: (content) => {
        if (r.inbound.automated) {
          // Answering an auto-reply or a list starts mail loops: nothing automatic goes back.
          this.logger.debug({ conversationId: r.conversation.id, handler: handler.name }, 'inbound: reply to an automated message dropped');
          return;
        }
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
          now,
        );
        replies.push(message);
        result.outbox.push(outbox);
      },
      updateConversation: (patch) => {
        result.patch = { ...result.patch, ...patch };
      },
      handOff: (request) => {
        result.handoff = request;
        result.events.push(handoffEvent(r.conversation, request));
      },
      emit: (event) => {
        result.events.push(event);
      },
      keepResolved: () => {
        if (!r.reopened || result.keepResolved) return;
        result.keepResolved = true;
        r.conversation.status = 'resolved';
        r.conversation.resolvedAt = r.wasResolvedAt ?? null;
        result.events = result.events.filter((e) => e.type !== 'conversation.reopened');
      },
      onCommit: (write) => {
        result.writes.push(write);
      },
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
