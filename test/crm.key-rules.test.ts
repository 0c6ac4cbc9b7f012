import { afterEach, describe, expect, it } from 'vitest';
import { numberSeries } from '../src/db/sql.ts';
import { newId, newRef } from '../src/core/ids.ts';
import { applyKeyRules } from '../src/crm/key-rules.ts';
import { setKeyCustomer } from '../src/crm/key-customers.ts';
import { RoutingConfigSchema } from '../src/routing/config.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';

describe.each(dialects)('key customers by the routing file rules on %s', (dialect) => {
  let db: TestDatabase;
  afterEach(async () => db?.dispose());

  it('marks the top share by a value attribute or ticket volume with the rule as reason, unmarks who drops out, leaves manual ones alone', async () => {
    db = await freshDatabase(dialect);
    const ids: string[] = [];
    for (const value of [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]) {
      const id = newId();
      ids.push(id);
      await db.prisma.customer.create({ data: { id, name: `c${value}`, attributes: { lifetime_value: value }, tags: [] } });
    }
    const [lowest, , , , , , , , second, top] = ids as [string, string, string, string, string, string, string, string, string, string];
    await setKeyCustomer(db, second, false, 'asked not to be', 'cli');
    await setKeyCustomer(db, lowest, true, 'founder', 'cli');
    const { key_customers } = RoutingConfigSchema.parse({ key_customers: { rules: [{ top_percent: 20, by_attribute: 'lifetime_value' }] } });

    expect(await applyKeyRules(db, key_customers.rules)).toBe(1);
    const key = async () => (await db.prisma.customer.findMany({ where: { isKey: true }, orderBy: { name: 'asc' } })).map((c) => [c.name, c.keyReason]);
    // The top 20% are the two highest values; the second was unset by hand and stays unset.
    expect(await key()).toEqual([
      ['c100', 'manual: founder'],
      ['c1000', 'rule: top 20% by attribute lifetime_value (1000)'],
    ]);

    await db.prisma.customer.update({ where: { id: top }, data: { attributes: { lifetime_value: 1 } } });
    const ticketOwner = ids[3] as string;
    for (let i = 0; i < 3; i++) {
      await db.prisma.ticket.create({ data: { id: newId(), ref: newRef(), customerId: ticketOwner, kind: 'request', subject: 'x', fields: {} } });
    }
    const both = RoutingConfigSchema.parse({
      key_customers: {
        rules: [
          { top_percent: 10, by_attribute: 'lifetime_value' },
          { top_percent: 100, by_tickets: true },
        ],
      },
    }).key_customers.rules;
    await applyKeyRules(db, both);
    expect(await key()).toEqual([
      ['c100', 'manual: founder'],
      ['c400', 'rule: top 100% by ticket volume (3)'],
    ]);
    expect((await db.prisma.customer.findUniqueOrThrow({ where: { id: top } })).keyReason).toBe('rule: no longer in any rule');
    expect(() => RoutingConfigSchema.parse({ key_customers: { rules: [{ top_percent: 120, by_tickets: true }] } })).toThrow();
  });

  it('ranks thousands of customers in the database: exact counts, numeric text ranked, other values not', async () => {
    db = await freshDatabase(dialect);
    const numbers = numberSeries(dialect, 2400);
    const object = dialect === 'sqlite' ? 'json_object' : 'jsonb_build_object';
    const setValues = (value: string) =>
      db.prisma.$executeRawUnsafe(
        `${numbers} INSERT INTO "Customer" ("id", "attributes", "tags", "updatedAt") SELECT 'k' || ${dialect === 'sqlite' ? "substr('0000' || i, -4)" : "lpad(i::text, 4, '0')"}, ${object}('lifetime_value', ${value}), '[]', '2026-01-01' FROM n WHERE true
         ON CONFLICT ("id") DO UPDATE SET "attributes" = excluded."attributes"`,
      );
    await setValues('i');
    await db.prisma.customer.createMany({
      data: [
        { id: 'text-number', attributes: { lifetime_value: ' 5000 ' }, tags: [] },
        { id: 'text-word', attributes: { lifetime_value: 'a lot' }, tags: [] },
        { id: 'boolean', attributes: { lifetime_value: true }, tags: [] },
      ],
    });
    const rules = RoutingConfigSchema.parse({ key_customers: { rules: [{ top_percent: 50, by_attribute: 'lifetime_value' }] } }).key_customers.rules;
    // 2,401 customers have a value: the top 1,201 are the numeric text (5000) and 1,200-2,400.
    expect(await applyKeyRules(db, rules)).toBe(1201);
    expect(await db.prisma.customer.count({ where: { isKey: true } })).toBe(1201);
    expect((await db.prisma.customer.findUniqueOrThrow({ where: { id: 'text-number' } })).keyReason).toBe('rule: top 50% by attribute lifetime_value (5000)');
    expect(await applyKeyRules(db, rules)).toBe(0);
    // Reversed values: every one of the 2,400 changes (in or out, or in with a new value in its reason).
    await setValues('2401 - i');
    expect(await applyKeyRules(db, rules)).toBe(2400);
    expect(await db.prisma.customer.count({ where: { isKey: true } })).toBe(1201);
    expect(await db.prisma.customer.count({ where: { id: { in: ['text-word', 'boolean'] }, isKey: true } })).toBe(0);
  });
});
