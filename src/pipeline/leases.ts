import type { Database } from '../db/database.ts';
import { Prisma } from '../generated/sqlite/client.ts';

/**
 * Time-limited ownership of lanes (a customer's inbound stream, a recipient's outbound
 * stream) so that several processes sharing one database never handle one lane at once.
 * One upsert claims many keys; a lease held by another holder is taken only once expired,
 * which is how a crashed process's work is picked up.
 */
export class Leases {
  constructor(
    private readonly db: Database,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Returns the subset of keys this holder now owns. */
  async claim(holder: string, keys: readonly string[]): Promise<string[]> {
    if (keys.length === 0) return [];
    const now = this.now();
    const until = now + this.ttlMs;
    const rows = Prisma.join(keys.map((key) => Prisma.sql`(${key}, ${holder}, ${until})`));
    const claimed = await this.db.run(
      (client) => client.$queryRaw<{ key: string }[]>`
      INSERT INTO "Lease" ("key", "holder", "untilMs") VALUES ${rows}
      ON CONFLICT ("key") DO UPDATE SET "holder" = excluded."holder", "untilMs" = excluded."untilMs"
      WHERE "Lease"."untilMs" < ${now} OR "Lease"."holder" = excluded."holder"
      RETURNING "key"`,
    );
    return claimed.map((row) => row.key);
  }

  async release(holder: string, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.db.run((client) => client.lease.deleteMany({ where: { holder, key: { in: [...keys] } } }));
  }

  /** SQL fragment: the lane is not held by anyone right now. */
  notHeld(column: Prisma.Sql): Prisma.Sql {
    return Prisma.sql`${column} NOT IN (SELECT "key" FROM "Lease" WHERE "untilMs" >= ${this.now()})`;
  }
}
