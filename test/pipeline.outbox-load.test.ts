import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Parley } from '../src/runtime.ts';
import { conversationLaneKey } from '../src/pipeline/inbox.ts';
import { outboundLaneKey } from '../src/pipeline/outbound.ts';
import { dialects, freshDatabase } from './support/databases.ts';
import { FakeAdapter, testParley } from './support/parley.ts';
import { QUEUE_INDEX_SCAN, recordStatements } from './support/query-plans.ts';

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

describe('queue statements on sqlite', () => {
  it('read the queues through their partial indexes: no statement visits handled events or sent rows (query plans)', { timeout: 120_000 }, async () => {
    const db = await freshDatabase('sqlite');
    const p = await testParley(db, { adapters: [new FakeAdapter()] });
    try {
      const statements = recordStatements(db);
      await p.startChannels();
      for (let i = 0; i < 3; i++) {
        await p.inbox.accept({ channel: 'whatsapp', externalId: `lane${i}`, sender: { address: '+989121234567', addressKind: 'phone' }, text: 'hi', raw: {} });
        await p.processor.drain();
        await p.dispatcher.drain({ timeoutMs: 60_000 });
      }
      expect(await p.processor.pendingCount([conversationLaneKey({ channel: 'whatsapp', identity: { address: '+989121234567' } })])).toBe(0);
      expect(await p.dispatcher.unsentCount({ lanes: [outboundLaneKey('whatsapp', '+989121234567')] })).toBe(0);
      statements.stop();

      const { planOf } = statements;
      const queueStatements = [...statements.texts].filter((t) => /"InboxEvent"|"OutboxItem"|`InboxEvent`|`OutboxItem`/.test(t) && !/^\s*INSERT/i.test(t));
      expect(queueStatements.length).toBeGreaterThan(5);
      // A long-running installation holds millions of handled events and sent rows; a statement
      // that scans a queue table (rather than its index of pending or unsent rows) reads them all.
      const scans = queueStatements.flatMap((text) =>
        planOf(text)
          .filter((line) => /^SCAN (main\.)?(InboxEvent|OutboxItem|e|o)\b/.test(line) && !QUEUE_INDEX_SCAN.test(line))
          .map((line) => `${line}  in  ${text.replace(/\s+/g, ' ').slice(0, 160)}`),
      );
      expect(scans).toEqual([]);
      const laneReads = queueStatements.filter((t) => t.includes('FROM "OutboxItem" o') && t.includes('o."laneKey" IN'));
      expect(laneReads.length).toBeGreaterThan(0);
      // A seek to the lane's unsent rows: its sent rows (a long-standing customer has thousands) are never visited.
      for (const text of laneReads) expect(planOf(text)).toContain('SEARCH o USING INDEX OutboxItem_laneKey_id_idx (laneKey=?)');
      // Rows named by id are looked up by key (before the partial indexes, SQLite without statistics scanned the pending rows of an index on status instead).
      const byId = queueStatements.filter((t) => /(^|[ .])"id" IN \(SELECT value FROM json_each/.test(t));
      expect(byId.length).toBeGreaterThan(0);
      for (const text of byId)
        expect(planOf(text).join('\n')).toMatch(/SEARCH (InboxEvent|OutboxItem|e|o) USING (COVERING )?INDEX sqlite_autoindex_\w+_1 \(id=\?\)/);
      const claims = queueStatements.filter((t) => t.includes('MIN("id") AS "id" FROM "InboxEvent"'));
      expect(claims.length).toBeGreaterThan(0);
      for (const text of claims) expect(planOf(text).join('\n')).toMatch(/(SEARCH|SCAN) InboxEvent USING (COVERING )?INDEX InboxEvent_laneKey_id_idx/);
    } finally {
      await p.stop();
      await db.dispose();
    }
  });
});
