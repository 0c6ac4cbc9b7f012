import { AsyncLocalStorage } from 'node:async_hooks';
import type { Storage, StoreItems } from 'botbuilder-core';
import type { Database, Prisma as PrismaClient } from '../../db/database.ts';
import { sqliteTimestamp } from '../../db/sql.ts';
import { Prisma } from '../../generated/sqlite/client.ts';
import type { Turn } from '../../pipeline/handler.ts';

/** What one turn changed: the new data of a key, or undefined for a deleted key. */
type TurnChanges = Map<string, object | undefined>;

/** The stored data of keys read in one batch (undefined: no row), as the batch began. */
type BatchRows = Map<string, Promise<object | undefined>>;

/** A turn's held writes and its batch's reads. */
interface TurnScope {
  readonly changes: TurnChanges;
  readonly rows: BatchRows;
}

/** The held writes of the turns that commit in one transaction. */
interface CommitGroup {
  readonly turns: Set<TurnChanges>;
  written: boolean;
}

/**
 * botbuilder's Storage over the BotkitState table, so Botkit dialog state lives in Parley's
 * database (SQLite or PostgreSQL).
 *
 * Writes made during a Parley turn (see `withTurn`) are not written at once: they are held
 * and committed by `turn.onCommit`, in the same transaction as the message and the replies
 * they belong to. A crash or a failing handler therefore never leaves a dialog that moved
 * on without its question having been stored and queued, nor a question sent twice because
 * the state that asked it was lost. Writes outside a turn go straight to the database.
 *
 * No optimistic concurrency (eTags are ignored): the inbound pipeline handles one message
 * of a customer lane at a time, so two turns never race on one conversation's key.
 *
 * Reads issued in the same tick by the turns of one batch are served by one query, and the
 * writes of a batch's turns by one statement. A key read once in a batch (`peek`, or a read
 * during a turn) is not read again in that batch: the batch's turns see the data as it was
 * when the batch began, plus their own held writes.
 */
export class ParleyBotkitStorage implements Storage {
  readonly #turns = new AsyncLocalStorage<TurnScope>();
  readonly #batchKey = `botkit.storage.${Math.random().toString(36).slice(2)}`;
  #pendingReads: { keys: string[]; waiters: { resolve: (rows: Map<string, object>) => void; reject: (error: unknown) => void }[] } | undefined;

  constructor(private readonly db: Database) {}

  /**
   * Runs `fn` with this turn's writes held in memory and committed with the turn. The turns
   * of one commit group are written by one statement (the first of their commit callbacks
   * writes them all). When `fn` fails, its writes leave the group: wrap the whole handler in
   * it, since the pipeline drops the commit callbacks of a failed handler.
   */
  async withTurn<T>(turn: Turn, fn: () => Promise<T>): Promise<T> {
    const changes: TurnChanges = new Map();
    // One group per batch (and per storage): its turns' writes go in one statement at commit.
    const members = turn.batch.shared(this.#batchKey, () => {
      const created: CommitGroup = { turns: new Set(), written: false };
      turn.batch.onCommit(async (tx) => {
        if (created.written) return;
        created.written = true;
        await this.#apply(tx, new Map([...created.turns].flatMap((turnChanges) => [...turnChanges])), new Date());
      });
      return created;
    });
    members.turns.add(changes);
    try {
      return await this.#turns.run({ changes, rows: this.#batchRows(turn) }, fn);
    } catch (error) {
      members.turns.delete(changes);
      throw error;
    }
  }

  /**
   * The stored data of a key as the turn's batch began (a copy), read with the batch's other
   * reads; the turn's held writes are not in it.
   */
  async peek(turn: Turn, key: string): Promise<object | undefined> {
    const data = (await this.#loadIn(this.#batchRows(turn), [key])).get(key);
    return data === undefined ? undefined : structuredClone(data);
  }

  async read(keys: string[]): Promise<StoreItems> {
    const scope = this.#turns.getStore();
    const changes = scope?.changes;
    const items: StoreItems = {};
    const toLoad = keys.filter((key) => !changes?.has(key));
    const loaded = toLoad.length === 0 ? new Map<string, object>() : scope ? await this.#loadIn(scope.rows, toLoad) : await this.#load(toLoad);
    for (const key of keys) {
      const data = changes?.has(key) ? changes.get(key) : loaded.get(key);
      // A copy: botbuilder mutates what it reads, and held writes must not change under it.
      if (data !== undefined) items[key] = structuredClone(data);
    }
    return items;
  }

  async write(changes: StoreItems): Promise<void> {
    const held = this.#turns.getStore()?.changes;
    const entries = Object.entries(changes).map(([key, value]) => [key, toStoredData(key, value)] as const);
    if (held) {
      for (const [key, data] of entries) held.set(key, data);
      return;
    }
    await this.db.run((client) => this.#apply(client, new Map(entries), new Date()));
  }

  async delete(keys: string[]): Promise<void> {
    const held = this.#turns.getStore()?.changes;
    if (held) {
      for (const key of keys) held.set(key, undefined);
      return;
    }
    await this.db.run((client) => this.#apply(client, new Map(keys.map((key) => [key, undefined])), new Date()));
  }

  #batchRows(turn: Turn): BatchRows {
    return turn.batch.shared(`${this.#batchKey}.rows`, (): BatchRows => new Map());
  }

  /** Keys through the batch's rows: those not read yet in the batch are loaded (together). */
  async #loadIn(rows: BatchRows, keys: string[]): Promise<Map<string, object>> {
    const missing = keys.filter((key) => !rows.has(key));
    if (missing.length > 0) {
      const loading = this.#load(missing);
      for (const key of missing) {
        const data = loading.then((loaded) => loaded.get(key));
        // A failed read fails the turns that await it; the keys nobody awaits must not go unhandled.
        data.catch(() => {});
        rows.set(key, data);
      }
    }
    const found = new Map<string, object>();
    for (const key of keys) {
      const data = await rows.get(key);
      if (data !== undefined) found.set(key, data);
    }
    return found;
  }

  #load(keys: string[]): Promise<Map<string, object>> {
    return new Promise((resolve, reject) => {
      if (!this.#pendingReads) {
        this.#pendingReads = { keys: [], waiters: [] };
        queueMicrotask(() => void this.#flushReads());
      }
      this.#pendingReads.keys.push(...keys);
      this.#pendingReads.waiters.push({ resolve, reject });
    });
  }

  async #flushReads(): Promise<void> {
    const batch = this.#pendingReads;
    this.#pendingReads = undefined;
    if (!batch) return;
    try {
      const rows = await this.db.prisma.botkitState.findMany({ where: { key: { in: [...new Set(batch.keys)] } }, select: { key: true, data: true } });
      const byKey = new Map(rows.map((row) => [row.key, row.data as object]));
      for (const waiter of batch.waiters) waiter.resolve(byKey);
    } catch (error) {
      for (const waiter of batch.waiters) waiter.reject(error);
    }
  }

  /** One upsert for all written keys (the rows travel as one JSON parameter) and one delete. */
  async #apply(client: PrismaClient, changes: TurnChanges, now: Date): Promise<void> {
    const upserts = [...changes].filter((entry): entry is [string, object] => entry[1] !== undefined);
    const deletes = [...changes].filter(([, data]) => data === undefined).map(([key]) => key);
    if (upserts.length > 0) {
      const sqlite = this.db.dialect === 'sqlite';
      const at = sqlite ? sqliteTimestamp(now) : now.toISOString();
      const payload = JSON.stringify(upserts.map(([key, data]) => ({ key, data, updatedAt: at })));
      const source = sqlite
        ? Prisma.sql`SELECT json_extract(value, '$.key'), json_extract(value, '$.data'), json_extract(value, '$.updatedAt') FROM json_each(${payload}) WHERE true`
        : Prisma.sql`SELECT "key", "data", "updatedAt" FROM jsonb_to_recordset(${payload}::jsonb) AS r("key" text, "data" jsonb, "updatedAt" timestamp(3))`;
      await client.$executeRaw`INSERT INTO "BotkitState" ("key", "data", "updatedAt") ${source}
        ON CONFLICT ("key") DO UPDATE SET "data" = excluded."data", "updatedAt" = excluded."updatedAt"`;
    }
    if (deletes.length > 0) await client.botkitState.deleteMany({ where: { key: { in: deletes } } });
  }
}

/** botbuilder hands over plain state objects; anything else is a bug worth naming. */
function toStoredData(key: string, value: unknown): object {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`Botkit storage: the value written for key "${key}" is ${Array.isArray(value) ? 'an array' : typeof value}, not a state object`);
  }
  // Through JSON now, so what a later read returns is what the database would return.
  return JSON.parse(JSON.stringify(value)) as object;
}
