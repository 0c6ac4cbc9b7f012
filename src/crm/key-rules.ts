import type { Logger } from 'pino';
import { z } from 'zod';
import type { Database } from '../db/database.ts';
import { type JobRunner, scheduleJobs } from '../pipeline/jobs.ts';

/** A rule of the routing file's `key_customers`: the top `top_percent` of customers by a value attribute or by ticket count. */
export const KeyRuleSchema = z.union([
  z.object({ top_percent: z.number().gt(0).max(100), by_attribute: z.string().min(1) }).strict(),
  z.object({ top_percent: z.number().gt(0).max(100), by_tickets: z.literal(true) }).strict(),
]);
export type KeyRule = z.infer<typeof KeyRuleSchema>;

const JOB = 'key_customers.recompute';
const DAY_MS = 86_400_000;

/** One customer's measure under a rule; customers without one are not ranked. */
async function measures(db: Database, rule: KeyRule): Promise<Map<string, number>> {
  if ('by_tickets' in rule) {
    const rows = await db.prisma.ticket.groupBy({ by: ['customerId'], _count: true });
    return new Map(rows.map((r) => [r.customerId, r._count]));
  }
  const customers = await db.prisma.customer.findMany({ where: { mergedIntoId: null }, select: { id: true, attributes: true } });
  const values = new Map<string, number>();
  for (const c of customers) {
    const value = Number((c.attributes as Record<string, unknown>)[rule.by_attribute]);
    if (Number.isFinite(value)) values.set(c.id, value);
  }
  return values;
}

/**
 * Applies the rules: a customer in any rule's top share is key, with the rule as the reason;
 * one a rule made key and no rule keeps is unmarked. Customers set by hand are left alone.
 * Returns how many changed.
 */
export async function applyKeyRules(db: Database, rules: readonly KeyRule[]): Promise<number> {
  const chosen = new Map<string, string>();
  for (const rule of rules) {
    const ranked = [...(await measures(db, rule))].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]);
    const count = Math.ceil((ranked.length * rule.top_percent) / 100);
    const by = 'by_tickets' in rule ? 'ticket volume' : `attribute ${rule.by_attribute}`;
    for (const [id, value] of ranked.slice(0, count)) if (!chosen.has(id)) chosen.set(id, `rule: top ${rule.top_percent}% by ${by} (${value})`);
  }
  const current = await db.prisma.customer.findMany({
    where: { mergedIntoId: null, OR: [{ keySource: 'rule' }, { id: { in: [...chosen.keys()] } }] },
    select: { id: true, isKey: true, keySource: true, keyReason: true },
  });
  let changed = 0;
  await db.write(async (tx) => {
    for (const c of current) {
      if (c.keySource === 'manual') continue;
      const reason = chosen.get(c.id);
      if (reason && (!c.isKey || c.keyReason !== reason)) {
        await tx.customer.update({ where: { id: c.id }, data: { isKey: true, keyReason: reason, keySource: 'rule' } });
        changed++;
      } else if (!reason && c.isKey) {
        await tx.customer.update({ where: { id: c.id }, data: { isKey: false, keyReason: 'rule: no longer in any rule', keySource: 'rule' } });
        changed++;
      }
    }
  });
  return changed;
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
