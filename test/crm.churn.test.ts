import { afterEach, describe, expect, it } from 'vitest';
import { newId, newRef } from '../src/core/ids.ts';
import { churnBandCounts, churnScore, churnScores } from '../src/crm/churn.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const DAY = 86_400_000;
const ago = (days: number) => new Date(NOW.getTime() - days * DAY);

describe.each(dialects)('churn scores on %s', (dialect) => {
  let db: TestDatabase;
  let phones = 0;
  afterEach(() => db?.dispose());

  async function customer(name: string, lastSeenDaysAgo: number, isKey = false): Promise<string> {
    const id = newId();
    await db.prisma.customer.create({
      data: { id, name, isKey, attributes: {}, tags: [], lastSeenAt: ago(lastSeenDaysAgo), firstSeenAt: ago(400), createdAt: ago(400) },
    });
    const identity = await db.prisma.channelIdentity.create({
      data: { id: newId(), customerId: id, channel: 'whatsapp', address: `+9891200${String(++phones).padStart(5, '0')}` },
    });
    // A conversation started in the report's range (the last 30 days) makes the customer active in it.
    await db.prisma.conversation.create({
      data: { id: newId(), customerId: id, identityId: identity.id, channel: 'whatsapp', createdAt: ago(Math.min(Math.max(lastSeenDaysAgo, 0.1), 29)) },
    });
    return id;
  }
  const ticket = (
    customerId: string,
    kind: 'complaint' | 'request',
    status: 'open' | 'in_progress' | 'waiting_for_customer' | 'resolved' | 'closed',
    daysAgo: number,
  ) => db.prisma.ticket.create({ data: { id: newId(), ref: newRef(), customerId, kind, status, subject: 's', fields: {}, createdAt: ago(daysAgo) } });
  const rating = (customerId: string, kind: 'csat' | 'nps', score: number, daysAgo: number) =>
    db.prisma.surveyResponse.create({ data: { id: newId(), customerId, kind, score, createdAt: ago(daysAgo) } });

  it('counts each feature at its boundaries: whole days inactive, the 90-day window, low ratings, open tickets', async () => {
    db = await freshDatabase(dialect);
    // 45 days and 23 hours without a message: 45 whole days.
    const omar = await customer('Omar', 45 + 23 / 24, true);
    await ticket(omar, 'complaint', 'resolved', 89); // in the window
    await ticket(omar, 'complaint', 'closed', 91); // outside it
    await ticket(omar, 'request', 'open', 200); // open, however old
    await ticket(omar, 'complaint', 'waiting_for_customer', 1); // a complaint and open
    await rating(omar, 'csat', 2, 10); // low
    await rating(omar, 'csat', 3, 10); // not low
    await rating(omar, 'nps', 6, 10); // low
    await rating(omar, 'nps', 7, 10); // not low
    await rating(omar, 'nps', 0, 95); // low, outside the window
    const sara = await customer('Sara', 0.5);
    const [score] = await churnScores(db, [omar], NOW);
    expect(score?.explanation).toEqual([
      { feature: 'daysInactive', value: 45, points: 20 },
      { feature: 'complaints', value: 2, points: 16.7 },
      { feature: 'lowRatings', value: 2, points: 13.3 },
      { feature: 'openTickets', value: 2, points: 10 },
    ]);
    expect(score).toMatchObject({ customerId: omar, score: 60, band: 'high' });
    expect(await churnScore(db, sara, NOW)).toMatchObject({ score: 0, band: 'low' });
    expect(await churnScores(db, [], NOW)).toEqual([]);
  });

  it("counts a report period's customers by band as their own scores band them", async () => {
    db = await freshDatabase(dialect);
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const id = await customer(`c${i}`, (i * 7) % 100, i % 4 === 0);
      for (let k = 0; k < i % 5; k++) await ticket(id, 'complaint', k % 2 ? 'open' : 'resolved', k * 10);
      for (let k = 0; k < i % 3; k++) await rating(id, k % 2 ? 'nps' : 'csat', 1, 5);
      ids.push(id);
    }
    // Not active in the period: never counted.
    const outside = await customer('outside', 200, true);
    await db.prisma.conversation.updateMany({ where: { customerId: outside }, data: { createdAt: ago(60) } });
    const scores = await churnScores(db, ids, NOW);
    const key = new Set(ids.filter((_, i) => i % 4 === 0));
    const expected = { low: { customers: 0, keyCustomers: 0 }, medium: { customers: 0, keyCustomers: 0 }, high: { customers: 0, keyCustomers: 0 } };
    for (const s of scores) {
      expected[s.band].customers++;
      if (key.has(s.customerId)) expected[s.band].keyCustomers++;
    }
    expect(Object.values(expected).every((band) => band.customers > 0)).toBe(true);
    expect(await churnBandCounts(db, ago(30), NOW)).toEqual(expected);
  });
});
