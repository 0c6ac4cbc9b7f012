import type { Logger } from 'pino';
import { type AddressKind, normalizeAddress } from '../core/address.ts';
import type { AcceptResult } from '../core/channel.ts';
import { UserError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { type InboundMessage, InboundMessageSchema, type ParsedInboundMessage } from '../core/message.ts';
import type { Database } from '../db/database.ts';
import type { Prisma } from '../generated/sqlite/client.ts';

interface Pending {
  readonly row: Prisma.InboxEventCreateManyInput;
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
  return `in:${channel}:${normalized}`;
}

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
  readonly #listeners = new Set<() => void>();

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
    private readonly defaultRegion: string | undefined,
  ) {}

  /** Called after new events are committed (the processor wakes on it). */
  onCommitted(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  accept(message: InboundMessage): Promise<AcceptResult> {
    const parsed = InboundMessageSchema.safeParse(message);
    if (!parsed.success) {
      return Promise.reject(new UserError(`inbound message rejected: ${formatZodIssues(parsed.error)}`));
    }
    const event: ParsedInboundMessage = parsed.data;
    const row: Prisma.InboxEventCreateManyInput = {
      id: newId(),
      channel: event.channel,
      externalId: event.externalId,
      laneKey: inboundLaneKey(event.channel, event.sender.addressKind, event.sender.address, this.defaultRegion),
      payload: event as unknown as Prisma.InputJsonValue,
    };
    return new Promise((resolve, reject) => {
      this.#queue.push({ row, resolve, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#queue;
    this.#queue = [];
    this.#flushScheduled = false;
    try {
      const inserted = await this.#insert(batch.map((p) => p.row));
      for (const { row, resolve } of batch) {
        resolve(inserted.has(row.id as string) ? { status: 'accepted', eventId: row.id as string } : { status: 'duplicate' });
      }
      if (inserted.size > 0) for (const listener of this.#listeners) listener();
    } catch (error) {
      this.logger.error({ err: error, events: batch.length }, 'inbox: could not store inbound events');
      for (const { reject } of batch) reject(error);
    }
  }

  /** Inserts the rows whose (channel, externalId) is new; returns the ids inserted. */
  async #insert(rows: Prisma.InboxEventCreateManyInput[]): Promise<Set<string>> {
    const unique = new Map<string, Prisma.InboxEventCreateManyInput>();
    for (const row of rows) {
      const key = `${row.channel}\u0000${row.externalId}`;
      if (!unique.has(key)) unique.set(key, row);
    }
    const candidates = [...unique.values()];
    if (this.db.dialect === 'postgresql') {
      // skipDuplicates exists on PostgreSQL only; the app is typed against the SQLite client.
      const args = { data: candidates, skipDuplicates: true, select: { id: true } } as unknown as Parameters<
        typeof this.db.prisma.inboxEvent.createManyAndReturn
      >[0];
      const created = await this.db.prisma.inboxEvent.createManyAndReturn(args);
      return new Set(created.map((r) => r.id));
    }
    // SQLite has no skipDuplicates; the writer lock makes this read-then-insert atomic here,
    // and a conflict from another process fails the transaction, which is then retried.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.write(async (tx) => {
          const existing = await tx.inboxEvent.findMany({
            where: { OR: candidates.map((c) => ({ channel: c.channel, externalId: c.externalId })) },
            select: { channel: true, externalId: true },
          });
          const seen = new Set(existing.map((e) => `${e.channel}\u0000${e.externalId}`));
          const fresh = candidates.filter((c) => !seen.has(`${c.channel}\u0000${c.externalId}`));
          if (fresh.length > 0) await tx.inboxEvent.createMany({ data: fresh });
          return new Set(fresh.map((r) => r.id as string));
        });
      } catch (error) {
        if (attempt >= 3 || (error as { code?: string }).code !== 'P2002') throw error;
      }
    }
  }
}
