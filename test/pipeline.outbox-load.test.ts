import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Parley } from '../src/runtime.ts';
import { conversationLaneKey } from '../src/pipeline/inbox.ts';
import { enqueueOutbound, outboundLaneKey } from '../src/pipeline/outbound.ts';
import { laneHeads, outboxRows } from '../src/pipeline/outbox.ts';
import { inList, queryRows, sql } from '../src/db/sql.ts';
import { historyCustomers, seedHistory } from '../bench/e2e/history.ts';
import { dialects, freshDatabase } from './support/databases.ts';
import { FakeAdapter, settle, testParley } from './support/parley.ts';
import { planReads, QUEUE_INDEX_SCAN, recordPgStatements, recordStatements } from './support/query-plans.ts';
import { InboundQueries } from '../src/pipeline/inbound-queries.ts';
import { Leases } from '../src/pipeline/leases.ts';

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
      const laneReads = queueStatements.filter((t) => t.includes('FROM "OutboxItem" o') && t.includes('x."laneKey" = l.value'));
      expect(laneReads.length).toBeGreaterThan(0);
      // Seeks to the lane's first unsent row and to the one after it: its sent rows (a long-standing
      // customer has thousands) are never visited, nor the rest of its backlog.
      for (const text of laneReads) {
        const plan = planOf(text).join('\n');
        expect(plan).toMatch(/SEARCH x USING (COVERING )?INDEX OutboxItem_laneKey_id_idx \(laneKey=\?\)/);
        expect(plan).toMatch(/SEARCH y USING (COVERING )?INDEX OutboxItem_laneKey_id_idx \(laneKey=\? AND id>\?\)/);
        expect(plan).toMatch(/SEARCH o USING INDEX sqlite_autoindex_OutboxItem_1 \(id=\?\)/);
      }
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

describe('a lane with a backlog on sqlite', () => {
  it(
    "sends a customer's queued replies in order, reading each lane head without the rows behind it (rows read grow with the sends, not their square)",
    { timeout: 120_000 },
    async () => {
      const db = await freshDatabase('sqlite');
      const adapter = new FakeAdapter();
      const p = await testParley(db, { adapters: [adapter] });
      try {
        // From the start: a statement is prepared once, at its first use, and only then recorded.
        const statements = recordStatements(db);
        await p.startChannels();
        const customer = '+989121234567';
        await p.inbox.accept({ channel: 'whatsapp', externalId: 'first', sender: { address: customer, addressKind: 'phone' }, text: 'hi', raw: {} });
        await settle(p);
        adapter.sent.length = 0;
        // Replies queued while the provider was out: one lane, 40 rows behind each other.
        const conversation = await db.prisma.conversation.findFirstOrThrow();
        const backlog = 40;
        await db.write(async (tx) => {
          for (let i = 0; i < backlog; i++)
            await enqueueOutbound(tx, db.dialect, {
              conversationId: conversation.id,
              channel: 'whatsapp',
              recipient: customer,
              content: { text: `reply ${i}` },
              authorKind: 'agent',
            });
        });
        const laneReads = () =>
          [...statements.texts].filter((t) => t.includes('FROM "OutboxItem" o') && t.includes('"laneKey"') && !/^\s*(INSERT|UPDATE)/i.test(t));
        const rowsRead = () => laneReads().reduce((sum, text) => sum + statements.rowsOf(text), 0);
        const before = rowsRead();
        p.dispatcher.notify([{ channel: 'whatsapp', laneKey: outboundLaneKey('whatsapp', customer) }]);
        await p.dispatcher.drain({ timeoutMs: 60_000 });
        statements.stop();

        expect(adapter.sent.map((m) => m.content.text)).toEqual(Array.from({ length: backlog }, (_, i) => `reply ${i}`));
        expect(laneReads().length).toBeGreaterThan(0);
        // Each send reads its lane's head: reading the whole rest of the lane each time was 40 + 39 + ... + 1 = 820 rows.
        const backlogRowsRead = rowsRead() - before;
        expect(backlogRowsRead).toBeGreaterThanOrEqual(backlog);
        expect(backlogRowsRead).toBeLessThanOrEqual(2 * backlog);
      } finally {
        await p.stop();
        await db.dispose();
      }
    },
  );
});

describe('queue statements on postgresql', () => {
  /** Runs `test` on a PostgreSQL database holding 10,000 past customers (its statistics taken then, with nothing pending) and a Parley on it. */
  async function onHistory(test: (db: TestDb, p: Parley) => Promise<void>): Promise<void> {
    const db = await freshDatabase('postgresql');
    await seedHistory(db, historyCustomers(10_000)); // ends with ANALYZE
    const p = await testParley(db, { adapters: [new FakeAdapter()] });
    try {
      await p.startChannels();
      await test(db, p);
    } finally {
      await p.stop();
      await db.dispose();
    }
  }

  /** `count` inbound messages from 200 customers (round robin), not handled yet. */
  const acceptBacklog = (p: Parley, count: number, prefix: string) =>
    Promise.all(
      Array.from({ length: count }, (_, i) =>
        p.inbox.accept({
          channel: 'whatsapp',
          externalId: `${prefix}${i}`,
          sender: { address: `+98912${1_000_000 + (i % 200)}`, addressKind: 'phone' },
          text: 'hi',
          raw: {},
        }),
      ),
    );

  it('read a lane by the lane index and rows by their key, also when the statistics were taken with the queue empty (query plans)', { timeout: 180_000 }, () =>
    onHistory(async (db, p) => {
      const customers = Array.from({ length: 40 }, (_, i) => `+98912${String(1000000 + i)}`);
      for (const [i, address] of customers.entries())
        await p.inbox.accept({ channel: 'whatsapp', externalId: `m${i}`, sender: { address, addressKind: 'phone' }, text: 'hi', raw: {} });
      await settle(p);
      expect(await p.dispatcher.unsentCount()).toBe(0);
      // The planner's statistics as autovacuum or a start leaves them: taken while nothing waited.
      await db.prisma.$executeRawUnsafe('ANALYZE "OutboxItem"');
      // Then a backlog: 50 replies queued to each customer (a provider outage, a campaign).
      const conversations = await db.prisma.conversation.findMany({ where: { identity: { address: { in: customers } } }, include: { identity: true } });
      expect(conversations).toHaveLength(40);
      await db.write(async (tx) => {
        for (const c of conversations)
          for (let k = 0; k < 50; k++)
            await enqueueOutbound(tx, db.dialect, {
              conversationId: c.id,
              channel: 'whatsapp',
              recipient: c.identity.address,
              content: { text: `r${k}` },
              authorKind: 'agent',
            });
      });
      const lanes = customers.map((c) => outboundLaneKey('whatsapp', c));
      const explain = async (query: ReturnType<typeof sql>) =>
        (await planReads(db, query)).filter((r) => r.table === 'OutboxItem').map((r) => `${r.node} ${r.index ?? ''}`.trim());
      // Before, a lane read went through the channel index of every unsent row: a scan of the whole backlog per lane.
      const laneRead = await explain(outboxRows(laneHeads(db.dialect, lanes), { followed: true }));
      expect(laneRead.length).toBeGreaterThan(0);
      for (const step of laneRead) expect(step).toMatch(/^(Index Scan|Index Only Scan) (OutboxItem_laneKey_id_idx|OutboxItem_pkey)$/);
      const heads = await queryRows(db.prisma, outboxRows(laneHeads(db.dialect, lanes), { followed: true }));
      expect(heads).toHaveLength(40);
      expect(heads.every((h) => h.followed === true)).toBe(true);
      const ids = heads.map((h) => h.id as string);
      for (const step of await explain(outboxRows(inList(db.dialect, sql`o."id"`, ids))))
        expect(step).toMatch(/^(Index Scan|Bitmap Heap Scan|Bitmap Index Scan) ?(OutboxItem_pkey)?$/);
    }),
  );

  it('claim inbound lanes reading their head events by key, also when the statistics were taken with the queue empty (query plans)', { timeout: 180_000 }, () =>
    onHistory(async (db, p) => {
      // A backlog: 200 customers with 10 events each, not handled yet.
      await acceptBacklog(p, 2_000, 'b');
      const statements = recordPgStatements(db);
      const { events, lanes } = await new InboundQueries(db, new Leases(db, 30_000)).claimHeads('test-holder', 200);
      statements.stop();
      expect(lanes).toHaveLength(200);
      expect(events).toHaveLength(200);
      const claims = statements.statements.filter((s) => s.text.includes('INSERT INTO "Lease"') && s.text.includes('"InboxEvent"'));
      expect(claims).toHaveLength(1);
      const reads = await statements.readsOf(claims[0] as (typeof claims)[number]);
      // Before, the head events were joined on id AND status: read through the pending index, the whole backlog once per lane.
      expect(reads.filter((r) => r.alias === 'e')).toEqual([{ node: 'Index Scan', table: 'InboxEvent', alias: 'e', index: 'InboxEvent_pkey' }]);
    }),
  );

  it('mark events handled and replies sending by key, also when the statistics were taken with the queue empty (query plans)', { timeout: 240_000 }, () =>
    onHistory(async (db, p) => {
      const statements = recordPgStatements(db);
      await acceptBacklog(p, 400, 'd');
      await settle(p);
      statements.stop();
      const guarded = statements.statements.filter((s) => /UPDATE "(InboxEvent|OutboxItem)"[^;]*SET "status" = '(done|sending)'/.test(s.text));
      expect(guarded.some((s) => s.text.includes('UPDATE "InboxEvent"'))).toBe(true);
      expect(guarded.some((s) => s.text.includes('UPDATE "OutboxItem"'))).toBe(true);
      for (const statement of guarded.slice(0, 20)) {
        const queueReads = (await statements.readsOf(statement)).filter(
          (r) => (r.table === 'InboxEvent' || r.table === 'OutboxItem') && r.node !== 'ModifyTable',
        );
        // Before, the "still pending" guard let the planner read the rows through the pending index: the whole backlog per statement.
        for (const read of queueReads) expect(read.index ?? read.node).toMatch(/^(InboxEvent|OutboxItem)_pkey$/);
      }
    }),
  );
});
