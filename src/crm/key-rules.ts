import type { Logger } from 'pino';
import { z } from 'zod';
import type { Database } from '../db/database.ts';
import { execute, inList, queryRows, sql, type Sql } from '../db/sql.ts';
import { type JobRunner, scheduleJobs } from '../pipeline/jobs.ts';

/** A rule of the routing file's `key_customers`: the top `top_percent` of customers by a value attribute or by ticket count. */
export const KeyRuleSchema = z.union([
  z.object({ top_percent: z.number().gt(0).max(100), by_attribute: z.string().min(1) }).strict(),
  z.object({ top_percent: z.number().gt(0).max(100), by_tickets: z.literal(true) }).strict(),
]);
export type KeyRule = z.infer<typeof KeyRuleSchema>;

const JOB = 'key_customers.recompute';
const DAY_MS = 86_400_000;

/** Customers changed per transaction: the SQLite writer is never held for long. */
const CHUNK = 500;

/**
 * A rule's top share: the customers whose measure is among the highest `top_percent` of those
 * with a measure above 0, with their measure. Ranked by the database, so only the top share is
 * read (the job used to read every customer's attributes: 1.6-6.4 s and +200 MB at 100,000).
 */
async function topShare(db: Database, rule: KeyRule): Promise<Map<string, number>> {
  const { dialect } = db;
  const measure =
    'by_tickets' in rule
      ? sql`SELECT "customerId" AS "id", COUNT(*) AS "value" FROM "Ticket" GROUP BY "customerId"`
      : sql`SELECT "id", ${attributeNumber(dialect, rule.by_attribute)} AS "value" FROM "Customer" WHERE "mergedIntoId" IS NULL`;
  const [counted] = await queryRows(db.prisma, sql`SELECT COUNT(*) AS "n" FROM (${measure}) m WHERE "value" > 0`);
  const top = Math.ceil((Number(counted?.n ?? 0) * rule.top_percent) / 100);
  if (top === 0) return new Map();
  const rows = await queryRows(db.prisma, sql`SELECT "id", "value" FROM (${measure}) m WHERE "value" > 0 ORDER BY "value" DESC, "id" LIMIT ${top}`);
  return new Map(rows.map((r) => [r.id as string, Number(r.value)]));
}

/** An attribute as a number: a JSON number, or text that is one ("1200.5"); anything else is NULL (not ranked). */
function attributeNumber(dialect: Database['dialect'], attribute: string): Sql {
  if (dialect === 'sqlite') {
    const path = `$."${attribute.replace(/"/g, '""')}"`;
    const text = sql`trim(json_extract("attributes", ${path}))`;
    return sql`CASE json_type("attributes", ${path}) WHEN 'integer' THEN json_extract("attributes", ${path}) WHEN 'real' THEN json_extract("attributes", ${path})
      WHEN 'text' THEN CASE WHEN json_valid(${text}) AND json_type(${text}) IN ('integer', 'real') THEN CAST(${text} AS REAL) END END`;
  }
  const text = sql`trim("attributes" ->> ${attribute})`;
  return sql`CASE jsonb_typeof("attributes" -> ${attribute}) WHEN 'number' THEN ("attributes" ->> ${attribute})::float8
    WHEN 'string' THEN CASE WHEN ${text} ~ '^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$' THEN ${text}::float8 END END`;
}

/**
 * Applies the rules: a customer in any rule's top share is key, with the rule as the reason;
 * one a rule made key and no rule keeps is unmarked. Customers set by hand are left alone.
 * Writes in chunks. Returns how many changed.
 */
export async function applyKeyRules(db: Database, rules: readonly KeyRule[]): Promise<number> {
  const chosen = new Map<string, string>();
  for (const rule of rules) {
    const by = 'by_tickets' in rule ? 'ticket volume' : `attribute ${rule.by_attribute}`;
    for (const [id, value] of await topShare(db, rule)) if (!chosen.has(id)) chosen.set(id, `rule: top ${rule.top_percent}% by ${by} (${value})`);
  }
  const columns = sql`SELECT "id", "isKey", "keySource", "keyReason" FROM "Customer" WHERE "mergedIntoId" IS NULL AND`;
  const current = new Map<string, Record<string, unknown>>();
  for (const row of await queryRows(db.prisma, sql`${columns} "keySource" = 'rule'`)) current.set(row.id as string, row);
  const ids = [...chosen.keys()];
  // inList binds the ids as one value (a JSON array, a PostgreSQL array): no statement limit to chunk for.
  if (ids.length > 0) for (const row of await queryRows(db.prisma, sql`${columns} ${inList(db.dialect, sql`"id"`, ids)}`)) current.set(row.id as string, row);
  const changes: { id: string; isKey: boolean; reason: string }[] = [];
  for (const [id, c] of current) {
    if (c.keySource === 'manual') continue;
    const isKey = c.isKey === true || c.isKey === 1;
    const reason = chosen.get(id);
    if (reason && (!isKey || c.keyReason !== reason)) changes.push({ id, isKey: true, reason });
    else if (!reason && isKey) changes.push({ id, isKey: false, reason: 'rule: no longer in any rule' });
  }
  const now = new Date();
  for (let at = 0; at < changes.length; at += CHUNK) {
    await db.write(async (tx) => {
      for (const c of changes.slice(at, at + CHUNK)) {
        await execute(
          tx,
          sql`UPDATE "Customer" SET "isKey" = ${c.isKey}, "keyReason" = ${c.reason}, "keySource" = 'rule', "updatedAt" = ${now} WHERE "id" = ${c.id}`,
        );
      }
    });
  }
  return changes.length;
}

/** Recomputes the key customers once a day (a durable job that schedules the next day's). */
export class KeyCustomerRules {
  constructor(
    private readonly db: Database,
    private readonly rules: readonly KeyRule[],
    private readonly logger: Logger,
  ) {}

  register(jobs: JobRunner): void {
    jobs.register(JOB, z.object({}), async (_job, ctx) => {
      const changed = await applyKeyRules(this.db, this.rules);
      if (changed > 0) this.logger.info({ changed }, 'key customers recomputed');
      const next = Math.floor(ctx.now.getTime() / DAY_MS) + 1;
      await ctx.write((tx) =>
        scheduleJobs(
          tx,
          this.db.dialect,
          [{ kind: JOB, laneKey: 'key_customers', payload: {}, runAt: new Date(next * DAY_MS), dedupKey: `${JOB}:${next}` }],
          ctx.now,
        ).then(() => {}),
      );
    });
  }

  async schedule(now: Date): Promise<void> {
    if (this.rules.length === 0) return;
    const day = Math.floor(now.getTime() / DAY_MS);
    await this.db.write((tx) =>
      scheduleJobs(tx, this.db.dialect, [{ kind: JOB, laneKey: 'key_customers', payload: {}, runAt: now, dedupKey: `${JOB}:${day}` }], now),
    );
  }
}
