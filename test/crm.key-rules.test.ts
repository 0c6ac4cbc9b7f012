import { afterEach, describe, expect, it } from 'vitest';
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
});
