import { afterEach, describe, expect, it } from 'vitest';
import { newId, newRef } from '../src/core/ids.ts';
import { addSegment, getSegment, listSegments, previewSegment, segmentPages } from '../src/campaigns/segments.ts';
import type { SegmentFilter } from '../src/campaigns/segment-filter.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';

const NOW = new Date('2026-06-01T12:00:00Z');
const DAY = 86_400_000;

interface Person {
  name: string;
  tags?: string[];
  attributes?: Record<string, unknown>;
  stage?: 'new' | 'active' | 'at_risk' | 'churned';
  isKey?: boolean;
  locale?: string;
  daysAgo?: number;
  identities?: { channel: string; address: string; optedOut?: boolean }[];
  ratings?: { kind: 'csat' | 'nps'; score: number }[];
  tickets?: ('open' | 'closed')[];
  complaints?: number;
}

const PEOPLE: Person[] = [
  // Sara: vip, gold, active, fa, on WhatsApp, rated 5, an open ticket.
  {
    name: 'Sara',
    tags: ['vip', 'ایران'],
    attributes: { plan: 'gold', city: 'تهران', score: 5 },
    stage: 'active',
    locale: 'fa',
    daysAgo: 2,
    identities: [{ channel: 'whatsapp', address: '+989121234567' }],
    ratings: [{ kind: 'csat', score: 5 }],
    tickets: ['open'],
  },
  // Omar: vip, key, ar, WhatsApp opted out but email fine, churned, low NPS, complaints.
  {
    name: 'Omar',
    tags: ['vip', 'dubai'],
    attributes: { plan: 'silver' },
    stage: 'churned',
    isKey: true,
    locale: 'ar',
    daysAgo: 100,
    identities: [
      { channel: 'whatsapp', address: '+971501234567', optedOut: true },
      { channel: 'email', address: 'omar@example.ae' },
    ],
    ratings: [{ kind: 'nps', score: 3 }],
    tickets: ['open', 'open', 'open'],
    complaints: 3,
  },
  // Emma: no tags, en, email only and opted out, closed ticket, new.
  { name: 'Emma', locale: 'en', daysAgo: 40, identities: [{ channel: 'email', address: 'emma@example.co.uk', optedOut: true }], tickets: ['closed'] },
  // Vipx: a tag that only starts like vip; never wrote on any channel.
  { name: 'Vipx', tags: ['vipx'], attributes: { plan: 'gold' }, stage: 'at_risk', locale: 'en', daysAgo: 10 },
];

async function seed(db: TestDatabase): Promise<void> {
  for (const p of PEOPLE) {
    const id = newId();
    const seen = new Date(NOW.getTime() - (p.daysAgo ?? 0) * DAY);
    await db.prisma.customer.create({
      data: {
        id,
        name: p.name,
        tags: p.tags ?? [],
        attributes: (p.attributes ?? {}) as never,
        lifecycleStage: p.stage ?? 'new',
        isKey: p.isKey ?? false,
        locale: p.locale ?? null,
        lastSeenAt: seen,
        firstSeenAt: seen,
      },
      select: { id: true },
    });
    for (const i of p.identities ?? []) {
      await db.prisma.channelIdentity.create({
        data: { id: newId(), customerId: id, channel: i.channel, address: i.address, optedOutAt: i.optedOut ? NOW : null },
        select: { id: true },
      });
    }
    for (const r of p.ratings ?? []) {
      await db.prisma.surveyResponse.create({
        data: { id: newId(), customerId: id, kind: r.kind, score: r.score, createdAt: new Date(NOW.getTime() - DAY) },
        select: { id: true },
      });
    }
    for (const [n, status] of (p.tickets ?? []).entries()) {
      await db.prisma.ticket.create({
        data: {
          id: newId(),
          ref: newRef(),
          customerId: id,
          kind: n < (p.complaints ?? 0) ? 'complaint' : 'request',
          status,
          subject: 's',
          fields: {},
          createdAt: new Date(NOW.getTime() - DAY),
        },
        select: { id: true },
      });
    }
  }
  // A merged-away record matches nothing.
  await db.prisma.customer.create({ data: { id: newId(), name: 'Gone', tags: ['vip'], attributes: {}, mergedIntoId: 'x' }, select: { id: true } });
}

async function names(db: TestDatabase, filter: SegmentFilter): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of segmentPages(db, filter, NOW, 2)) ids.push(...page);
  const rows = await db.prisma.customer.findMany({ where: { id: { in: ids } }, select: { name: true } });
  return rows.map((r) => r.name as string).sort();
}

describe.each(dialects)('segments on %s', (dialect) => {
  let db: TestDatabase;
  afterEach(async () => db?.dispose());

  it('finds customers by every kind of condition, paged, and the same count in a preview', async () => {
    db = await freshDatabase(dialect);
    await seed(db);
    const cases: [SegmentFilter, string[]][] = [
      [{}, ['Emma', 'Omar', 'Sara', 'Vipx']],
      [{ tags: { any: ['vip'] } }, ['Omar', 'Sara']],
      [{ tags: { any: ['ایران', 'vipx'] } }, ['Sara', 'Vipx']],
      [{ tags: { all: ['vip', 'dubai'] } }, ['Omar']],
      [{ tags: { none: ['vip'] } }, ['Emma', 'Vipx']],
      [{ attributes: { plan: 'gold' } }, ['Sara', 'Vipx']],
      [{ attributes: { city: 'تهران', score: 5 } }, ['Sara']],
      [{ attributes: { plan: null } }, ['Emma']],
      [{ lifecycle: ['churned', 'at_risk'] }, ['Omar', 'Vipx']],
      [{ key: true }, ['Omar']],
      [{ locale: ['fa', 'ar'] }, ['Omar', 'Sara']],
      [{ channels: ['email'] }, ['Emma', 'Omar']],
      [{ lastSeen: { before: '30d' } }, ['Emma', 'Omar']],
      [{ lastSeen: { after: '2026-05-25' } }, ['Sara']],
      [{ lastSeen: { after: '60d', before: '7d' } }, ['Emma', 'Vipx']],
      [{ rating: { kind: 'nps', max: 6 } }, ['Omar']],
      [{ rating: { min: 4 } }, ['Sara']],
      [{ openTickets: true }, ['Omar', 'Sara']],
      [{ openTickets: false }, ['Emma', 'Vipx']],
      [{ consent: 'reachable' }, ['Omar', 'Sara']],
      [{ consent: 'reachable', channels: ['whatsapp'] }, ['Sara']],
      [{ consent: 'opted_out' }, ['Emma']],
      // Omar: 100 days inactive (40) + 3 complaints (25) + 1 low rating (6.7) + 3 open tickets (15) = 87.
      [{ churn: { min: 60 } }, ['Omar']],
      [{ churn: { max: 30 } }, ['Emma', 'Sara', 'Vipx']],
      [{ tags: { any: ['vip'] }, locale: ['fa'], openTickets: true }, ['Sara']],
    ];
    for (const [filter, expected] of cases) {
      expect(await names(db, filter), JSON.stringify(filter)).toEqual(expected);
      const preview = await previewSegment(db, filter, NOW);
      expect(preview.count, JSON.stringify(filter)).toBe(expected.length);
      expect(preview.sample.map((s) => s.name).sort()).toEqual(expected);
    }
  });

  it('saves named segments, lists them and refuses bad filters with where they are wrong', async () => {
    db = await freshDatabase(dialect);
    const saved = await addSegment(db, { name: 'vip fa', filter: { tags: { any: ['vip'] }, locale: ['fa'] } }, 'cli');
    expect((await getSegment(db, 'vip fa')).id).toBe(saved.id);
    expect((await getSegment(db, saved.id)).filter).toEqual({ tags: { any: ['vip'] }, locale: ['fa'] });
    expect((await listSegments(db)).map((s) => s.name)).toEqual(['vip fa']);
    await expect(addSegment(db, { name: 'vip fa', filter: {} }, 'cli')).rejects.toThrow('exists already');
    await expect(addSegment(db, { name: 'x', filter: { churn: { min: 80, max: 20 } } }, 'cli')).rejects.toThrow('filter.churn: min must not be above max');
    await expect(addSegment(db, { name: 'x', filter: { lastSeen: { before: 'last week' } } }, 'cli')).rejects.toThrow('filter.lastSeen.before');
    await expect(addSegment(db, { name: 'x', filter: { colour: 'red' } }, 'cli')).rejects.toThrow('colour');
    await expect(getSegment(db, 'nope')).rejects.toThrow('segment "nope" not found');
  });
});
