import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Parley } from '../src/runtime.ts';
import { sqliteConnectionOf } from '../src/db/sql.ts';
import { dialects, freshDatabase } from './support/databases.ts';
import { FakeAdapter, testParley } from './support/parley.ts';

type TestDb = Awaited<ReturnType<typeof freshDatabase>>;

describe.each(dialects)('outbox under load on %s', (dialect) => {
  let db: TestDb;
  const running: Parley[] = [];

  beforeEach(async () => {
    db = await freshDatabase(dialect);
  });

  afterEach(async () => {
    for (const p of running.splice(0)) await p.stop();
    await db.dispose();
  });

  it('delivers a batch of 200 replies exactly once each (database work bounded by the pool)', { timeout: 120_000 }, async () => {
    const adapter = new FakeAdapter();
    const deliveries = new Map<string, number>();
    adapter.behaviour = async (m) => {
      // A provider that answers after a moment, so the batch's sends overlap.
      await new Promise((r) => setTimeout(r, 5));
      deliveries.set(m.messageId, (deliveries.get(m.messageId) ?? 0) + 1);
      return { externalId: `wamid.${m.messageId}` };
    };
    const p = await testParley(db, { adapters: [adapter] });
    running.push(p);
    await p.startChannels();
    for (let i = 0; i < 200; i++) {
      await p.inbox.accept({
        channel: 'whatsapp',
        externalId: `in${i}`,
        sender: { address: `+98912${String(i).padStart(7, '0')}`, addressKind: 'phone' },
        text: 'hi',
        raw: {},
      });
    }
    while ((await p.processor.pendingCount()) > 0) await p.processor.drain();
    await p.dispatcher.drain({ timeoutMs: 90_000 });

    const items = await db.prisma.outboxItem.findMany();
    expect(items).toHaveLength(200);
    expect(items.filter((i) => i.status === 'sent')).toHaveLength(200);
    expect(deliveries.size).toBe(200);
    expect([...deliveries.values()].filter((n) => n > 1)).toEqual([]);
  });
});

describe('outbox lane reads on sqlite', () => {
  it("finds a lane's next row among its unsent rows only, however many the lane has sent (query plan)", { timeout: 120_000 }, async () => {
    const db = await freshDatabase('sqlite');
    const p = await testParley(db, { adapters: [new FakeAdapter()] });
    try {
      // Every statement text the process prepares from here on (each is prepared once, then cached).
      const handle = sqliteConnectionOf(db.prisma);
      if (!handle) throw new Error('no SQLite connection');
      const texts = new Set<string>();
      const prepare = handle.prepare.bind(handle);
      handle.prepare = ((text: string) => {
        texts.add(text);
        return prepare(text);
      }) as typeof handle.prepare;
      await p.startChannels();
      for (let i = 0; i < 3; i++) {
        await p.inbox.accept({ channel: 'whatsapp', externalId: `lane${i}`, sender: { address: '+989121234567', addressKind: 'phone' }, text: 'hi', raw: {} });
        await p.processor.drain();
        await p.dispatcher.drain({ timeoutMs: 60_000 });
      }
      const laneReads = [...texts].filter((t) => t.includes('FROM "OutboxItem" o') && t.includes('o."laneKey" IN'));
      expect(laneReads.length).toBeGreaterThan(0);
      for (const text of laneReads) {
        const parameters = text.split('?').length - 1;
        const plan = prepare(`EXPLAIN QUERY PLAN ${text}`)
          .all(...Array.from({ length: parameters }, () => null))
          .map((row) => (row as { detail: string }).detail);
        // A seek to the lane's pending and sending rows: its sent rows (a long-standing customer has thousands) are never visited.
        expect(plan).toContain('SEARCH o USING INDEX OutboxItem_laneKey_status_id_idx (laneKey=? AND status=?)');
      }
    } finally {
      await p.stop();
      await db.dispose();
    }
  });
});
