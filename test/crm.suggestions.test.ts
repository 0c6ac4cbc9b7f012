import { afterEach, describe, expect, it } from 'vitest';
import { proposeMatchesOfMany } from '../src/crm/suggestions.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';

describe.each(dialects)('merge proposals for a batch of new customers (%s)', (dialect) => {
  let db: TestDatabase | undefined;
  afterEach(async () => {
    await db?.dispose();
    db = undefined;
  });

  it('proposes only the new customers another live record shares an address with, by identity or by a collected attribute', async () => {
    db = await freshDatabase(dialect);
    const database = db;
    const customer = (id: string, attributes: object, firstSeenAt: Date, identity?: { channel: string; address: string }) =>
      database.prisma.customer.create({
        data: { id, attributes, tags: [], firstSeenAt, ...(identity ? { identities: { create: [{ id: `${id}-i`, ...identity }] } } : {}) },
        select: { id: true },
      });
    await customer('old-sms', {}, new Date('2026-01-01'), { channel: 'sms', address: '+989121234567' });
    await customer('old-attr', { email: 'a@example.com', plan: 'gold' }, new Date('2026-01-02'));
    await customer('new-1', {}, new Date('2026-02-01'), { channel: 'whatsapp', address: '+989121234567' });
    await customer('new-2', {}, new Date('2026-02-01'), { channel: 'email', address: 'a@example.com' });
    await customer('new-3', {}, new Date('2026-02-01'), { channel: 'whatsapp', address: '+989121234569' });
    const created = await database.write((tx) =>
      proposeMatchesOfMany(tx, dialect, [
        { customerId: 'new-1', kind: 'phone', address: '+989121234567' },
        { customerId: 'new-2', kind: 'email', address: 'a@example.com' },
        { customerId: 'new-3', kind: 'phone', address: '+989121234569' },
      ]),
    );
    expect(created.map((s) => [s.customerId, s.otherId, s.matchedBy]).sort()).toEqual([
      ['old-attr', 'new-2', 'email'],
      ['old-sms', 'new-1', 'phone'],
    ]);
  });
});
