import type { Logger } from 'pino';
import { type AddressKind, normalizeAddress } from '../core/address.ts';
import type { AcceptResult } from '../core/channel.ts';
import { UserError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { type InboundMessage, InboundMessageSchema, type ParsedInboundMessage } from '../core/message.ts';
import { toStorable } from '../core/storable.ts';
import { bulkInsert } from '../db/bulk-insert.ts';
import type { Database } from '../db/database.ts';
import { INBOX_COLUMNS } from '../db/columns.ts';

/** Events written by one INSERT (bounded by the database's parameter limit). */
const MAX_FLUSH = 250;
/** What one stored event may hold (its payload as JSON is about this many characters at most). */
/** Failed INSERTs one group may cost while bisecting: enough to isolate a few bad events among MAX_FLUSH. */
const MAX_FAILED_WRITES = 24;
const PAYLOAD_LIMITS = { maxDepth: 32, maxChars: 1_000_000 } as const;

type InboxRow = { id: string; channel: string; externalId: string; laneKey: string; payload: ParsedInboundMessage; receivedAt: Date };

interface Pending {
  readonly row: InboxRow;
  readonly resolve: (result: AcceptResult) => void;
  readonly reject: (error: unknown) => void;
}

/** Lane of an inbound event: one customer identity's messages are handled in order. */
export function inboundLaneKey(channel: string, addressKind: AddressKind, address: string, defaultRegion?: string): string {
  let normalized: string;
  try {
    normalized = normalizeAddress(addressKind, address, defaultRegion);
  } catch {
    // Kept so the event is stored; the processor records why the address is unusable.
    normalized = address.trim();
  }
  return conversationLaneKey({ channel, identity: { address: normalized } });
}

/** Lane of a conversation's customer (the identity's address is stored normalized): jobs on it never race their messages. */
export const conversationLaneKey = (conversation: { channel: string; identity: { address: string } }): string =>
  `in:${conversation.channel}:${conversation.identity.address}`;

export function formatZodIssues(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  return error.issues.map((i) => `${i.path.length ? i.path.map(String).join('.') : '(message)'}: ${i.message}`).join('; ');
}

/**
 * The durable front door. accept() resolves once the raw event is committed, so an adapter
 * acknowledges its provider only for what is stored. Concurrent accepts are written
 * together (group commit); a repeated (channel, externalId) is reported as a duplicate.
 */
export class Inbox {
  #queue: Pending[] = [];
  #flushScheduled = false;
  /** One write at a time: events arriving while it waits for the database join the next one (one commit, one disk sync, for all). */
  #flushing = false;
  readonly #listeners = new Set<(lanes: readonly string[]) => void>();

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
    private readonly defaultRegion: string | undefined,
  ) {}

  /** Called after new events are committed, with their lanes (the processor wakes on it). */
  onCommitted(listener: (lanes: readonly string[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Stores one event. A message the database could not store as given is cleaned here, the
   * same way for SQLite and PostgreSQL (see toStorable), or refused alone with a UserError
   * saying what is wrong and where; it never reaches, and so never fails, a group commit.
   */
  accept(message: InboundMessage): Promise<AcceptResult> {
    const parsed = InboundMessageSchema.safeParse(message);
    if (!parsed.success) {
      return Promise.reject(new UserError(`inbound message rejected: ${formatZodIssues(parsed.error)}`));
    }
    const storable = toStorable(parsed.data, PAYLOAD_LIMITS);
    if (!storable.ok) return Promise.reject(new UserError(`inbound message rejected: ${storable.reason}`));
    const event: ParsedInboundMessage = storable.value;
    if (storable.cleaned.length > 0) {
      this.logger.warn(
        { channel: event.channel, externalId: event.externalId, fields: storable.cleaned },
        'inbox: NUL characters removed and lone surrogates replaced by U+FFFD (no database stores them)',
      );
    }
    const row: InboxRow = {
      id: newId(),
      channel: event.channel,
      externalId: event.externalId,
      laneKey: inboundLaneKey(event.channel, event.sender.addressKind, event.sender.address, this.defaultRegion),
      payload: event,
      receivedAt: new Date(),
    };
    return new Promise((resolve, reject) => {
      this.#queue.push({ row, resolve, reject });
      this.#scheduleFlush();
    });
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#flushing || this.#queue.length === 0) return;
    this.#flushScheduled = true;
    setImmediate(() => void this.#flush());
  }

  async #flush(): Promise<void> {
    this.#flushScheduled = false;
    this.#flushing = true;
    try {
      await this.#store(this.#queue.splice(0, MAX_FLUSH), { failuresLeft: MAX_FAILED_WRITES });
    } finally {
      this.#flushing = false;
      this.#scheduleFlush();
    }
  }

  /**
   * Writes the events in one INSERT. When the database refuses it, each half is written on
   * its own, and so on down to single events: an event the database refuses fails alone and
   * its neighbours are stored. A database that refuses everything (down, full) fails the
   * group after `failuresLeft` tries instead of one per event.
   */
  async #store(batch: Pending[], budget: { failuresLeft: number }): Promise<void> {
    let inserted: Set<string>;
    try {
      inserted = await this.#insert(batch.map((p) => p.row));
    } catch (error) {
      budget.failuresLeft--;
      if (batch.length > 1 && budget.failuresLeft > 0) {
        const half = Math.ceil(batch.length / 2);
        await this.#store(batch.slice(0, half), budget);
        await this.#store(batch.slice(half), budget);
        return;
      }
      const ids = batch.map((p) => `${p.row.channel}:${p.row.externalId}`);
      this.logger.error({ err: error, events: ids.slice(0, 10), count: ids.length }, 'inbox: could not store inbound events');
      for (const { reject } of batch) reject(error);
      return;
    }
    for (const { row, resolve } of batch) {
      resolve(inserted.has(row.id) ? { status: 'accepted', eventId: row.id } : { status: 'duplicate' });
    }
    if (inserted.size > 0) {
      const lanes = batch.filter((p) => inserted.has(p.row.id)).map((p) => p.row.laneKey);
      for (const listener of this.#listeners) listener(lanes);
    }
  }

  /** Inserts the rows whose (channel, externalId) is new; returns the ids inserted. */
  async #insert(rows: InboxRow[]): Promise<Set<string>> {
    // Webhooks wait for this write: it goes before the bookkeeping writes queued on SQLite.
    const inserted = await this.db.run(
      (client) => bulkInsert(client, this.db.dialect, 'InboxEvent', INBOX_COLUMNS, rows, { skipConflictsOn: ['channel', 'externalId'] }),
      { ahead: true },
    );
    return new Set(inserted);
  }
}
