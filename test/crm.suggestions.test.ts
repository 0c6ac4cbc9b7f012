import { afterEach, describe, expect, it } from 'vitest';
import { liveCustomersHoldingQuery, proposeMatches, proposeMatchesOfMany } from '../src/crm/suggestions.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';
import { recordStatements } from './support/query-plans.ts';

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

  it('does not match a merged record, and a flow-collected mobile number matches a phone identity', async () => {
    db = await freshDatabase(dialect);
    const database = db;
    await database.prisma.customer.create({ data: { id: 'kept', attributes: {}, tags: [], firstSeenAt: new Date('2026-01-01') } });
    await database.prisma.customer.create({
      data: { id: 'tombstone', attributes: { mobile: '+971501234567' }, tags: [], mergedIntoId: 'kept', firstSeenAt: new Date('2026-01-01') },
    });
    await database.prisma.customer.create({
      data: { id: 'old-mobile', attributes: { mobile: '+971501234568' }, tags: [], firstSeenAt: new Date('2026-01-02') },
    });
    await database.prisma.customer.create({
      data: {
        id: 'new',
        attributes: {},
        tags: [],
        firstSeenAt: new Date('2026-02-01'),
        identities: { create: [{ id: 'new-i', channel: 'sms', address: '+971501234567' }] },
      },
    });
    expect(await database.write((tx) => proposeMatchesOfMany(tx, dialect, [{ customerId: 'new', kind: 'phone', address: '+971501234567' }]))).toEqual([]);
    // A flow collects "050 123 4568" (a local UAE number) from the new customer: same person as old-mobile.
    const created = await database.write((tx) => proposeMatches(tx, dialect, 'new', 'phone', '050 123 4568', 'AE'));
    expect(created.map((s) => [s.customerId, s.otherId, s.matchedBy])).toEqual([['old-mobile', 'new', 'phone']]);
  });

  it('looks address attributes up by their indexes, not by reading every customer', async () => {
    db = await freshDatabase(dialect);
    const query = liveCustomersHoldingQuery(dialect, ['email', 'phone', 'mobile'], ['a@example.com', '+989121234567']);
    if (dialect === 'sqlite') {
      const plan = (await db.prisma.$queryRawUnsafe<{ detail: string }[]>(`EXPLAIN QUERY PLAN ${query.sql}`, ...query.values)).map((r) => r.detail);
      expect(plan.filter((line) => /Customer/.test(line))).toEqual([
        expect.stringMatching(/^SEARCH Customer USING INDEX Customer_attributes_email_idx /),
        expect.stringMatching(/^SEARCH Customer USING INDEX Customer_attributes_phone_idx /),
        expect.stringMatching(/^SEARCH Customer USING INDEX Customer_attributes_mobile_idx /),
      ]);
    } else {
      // Planned with statistics of a realistic table: 2,000 live customers, a few merged.
      await db.prisma.$executeRawUnsafe(
        `INSERT INTO "Customer" ("id", "attributes", "tags", "updatedAt", "mergedIntoId")
         SELECT 'c' || n, jsonb_build_object('phone', '+98912' || lpad(n::text, 7, '0')), '[]', now(), CASE WHEN n % 100 = 0 THEN 'c1' END
         FROM generate_series(1, 2000) AS n`,
      );
      await db.prisma.$executeRawUnsafe('ANALYZE "Customer"');
      const plan = await db.prisma.$queryRawUnsafe<{ 'QUERY PLAN': string }[]>(`EXPLAIN ${query.text}`, ...query.values);
      const lines = plan.map((r) => r['QUERY PLAN']).join('\n');
      expect(lines).not.toMatch(/Seq Scan on "Customer"/);
      for (const key of ['email', 'phone', 'mobile']) {
        expect(lines).toMatch(new RegExp(`Index Scan (using|on) "Customer_attributes_${key}_idx"`));
        expect(lines).toContain(`Index Cond: ((attributes ->> '${key}'::text) = ANY`);
      }
    }
  });

  // The statements are the same on both databases; they are recorded on SQLite's connection.
  it.skipIf(dialect !== 'sqlite')('looks phone numbers up among phone attributes only, and emails among email attributes only', async () => {
    db = await freshDatabase(dialect);
    const database = db;
    const statements = recordStatements(database);
    await database.write((tx) => proposeMatchesOfMany(tx, dialect, [{ customerId: 'new', kind: 'phone', address: '+989121234567' }]));
    const phoneOnly = [...statements.texts].filter((t) => t.includes('"Customer"'));
    expect(phoneOnly.some((t) => t.includes("'$.mobile'"))).toBe(true);
    // A batch of WhatsApp first messages has no email to look for: on PostgreSQL that arm read every customer.
    expect(phoneOnly.some((t) => t.includes("'$.email'"))).toBe(false);
    statements.texts.clear();
    await database.write((tx) => proposeMatchesOfMany(tx, dialect, [{ customerId: 'new', kind: 'email', address: 'a@example.com' }]));
    const emailOnly = [...statements.texts].filter((t) => t.includes('"Customer"'));
    expect(emailOnly.some((t) => t.includes("'$.email'"))).toBe(true);
    expect(emailOnly.some((t) => t.includes("'$.mobile'") || t.includes("'$.phone'"))).toBe(false);
    statements.stop();
  });
});
