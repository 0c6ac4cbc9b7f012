import type { Database } from '../db/database.ts';
import { execute, inList, queryRows, type Sql, sql } from '../db/sql.ts';

/**
 * Time-limited ownership of lanes (a customer's inbound stream, a recipient's outbound
 * stream) so that several processes sharing one database never handle one lane at once.
 * One upsert claims many keys; a lease held by another holder is taken only once expired,
 * which is how a crashed process's work is picked up. Lease writes are advisory (a lost one
 * just expires), so they commit without waiting for the disk (db.unsynced).
 */
export class Leases {
  constructor(
    private readonly db: Database,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** How long a lease lasts unless renewed (`renew`, or claiming a key again). */
  get ttl(): number {
    return this.ttlMs;
  }

  /** Now, and when a lease taken now runs out (epoch ms). */
  term(): { now: number; until: number } {
    const now = this.now();
    return { now, until: now + this.ttlMs };
  }

  /** Returns the subset of keys this holder now owns (keys it already held are renewed). */
  async claim(holder: string, keys: readonly string[]): Promise<string[]> {
    if (keys.length === 0) return [];
    const { now, until } = this.term();
    // The keys as one JSON parameter: one statement text (and prepared statement) for any count.
    const json = JSON.stringify(keys);
    const source =
      this.db.dialect === 'sqlite'
        ? sql`SELECT value, ${holder}, ${until} FROM json_each(${json}) WHERE true`
        : sql`SELECT jsonb_array_elements_text(${json}::jsonb), ${holder}::text, ${until}::bigint`;
    const claimed = await this.db.unsynced((client) =>
      queryRows(
        client,
        sql`
      INSERT INTO "Lease" ("key", "holder", "untilMs") ${source}
      ON CONFLICT ("key") DO UPDATE SET "holder" = excluded."holder", "untilMs" = excluded."untilMs"
      WHERE "Lease"."untilMs" < ${now} OR "Lease"."holder" = excluded."holder"
      RETURNING "key"`,
      ),
    );
    return claimed.map((row) => row.key as string);
  }

  /**
   * Extends the leases this holder still has and returns their keys. Unlike `claim`, it never
   * creates one: a renewal that was already on its way when its lane ended and released the lease
   * would otherwise bring the lease back with no lane behind it, and the queue would skip that
   * lane until the lease ran out (seen as replies 30 s late under load).
   */
  async renew(holder: string, keys: readonly string[]): Promise<string[]> {
    if (keys.length === 0) return [];
    const { until } = this.term();
    const renewed = await this.db.unsynced((client) =>
      queryRows(
        client,
        sql`UPDATE "Lease" SET "untilMs" = ${until} WHERE "holder" = ${holder} AND ${inList(this.db.dialect, sql`"key"`, keys)} RETURNING "key"`,
      ),
    );
    return renewed.map((row) => row.key as string);
  }

  async release(holder: string, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.db.unsynced((client) => execute(client, this.releaseStatement(holder, keys)));
  }

  /** The statement that gives up keys, for a caller that runs it inside its own transaction. */
  releaseStatement(holder: string, keys: readonly string[]): Sql {
    return sql`DELETE FROM "Lease" WHERE "holder" = ${holder} AND ${inList(this.db.dialect, sql`"key"`, keys)}`;
  }

  /** SQL fragment: the lane is not held by anyone right now. */
  notHeld(column: Sql): Sql {
    return sql`${column} NOT IN (SELECT "key" FROM "Lease" WHERE "untilMs" >= ${this.now()})`;
  }
}
