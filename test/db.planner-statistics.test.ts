import { describe, expect, it, vi } from 'vitest';
import { historyCustomers, seedHistory } from '../bench/e2e/history.ts';
import { migrate } from '../src/db/migrate.ts';
import { PLANNER_STATISTICS_INTERVAL_MS } from '../src/db/planner-statistics.ts';
import { queryRows, sql } from '../src/db/sql.ts';
import { freshDatabase } from './support/databases.ts';
import { eventually } from './support/eventually.ts';
import { FakeAdapter, testParley } from './support/parley.ts';
import { QUEUE_INDEX_SCAN, recordStatements } from './support/query-plans.ts';

describe('query plans on a grown SQLite database', () => {
  it("a returning customer's message walks no table and no whole state of one (statistics gathered at start)", { timeout: 120_000 }, async () => {
    const db = await freshDatabase('sqlite');
    // 3,000 past customers (bench/e2e/history.ts): each with a resolved conversation, sent replies and handled events.
    await seedHistory(db, historyCustomers(3_000));
    // A start: the migrations find nothing to do; the planner's statistics are gathered.
    await migrate(db);
    const p = await testParley(db, { adapters: [new FakeAdapter()] });
    try {
      const statements = recordStatements(db);
      await p.startChannels();
      // Past customer 17 (+98935 0000017) writes again: found, their previous conversation linked, greeted by name.
      await p.inbox.accept({ channel: 'whatsapp', externalId: 'back-1', sender: { address: '+989350000017', addressKind: 'phone' }, text: 'سلام', raw: {} });
      await p.processor.drain();
      await p.dispatcher.drain({ timeoutMs: 60_000 });
      statements.stop();
      const conversation = await db.prisma.conversation.findFirstOrThrow({ where: { customerId: 'hc17', status: { not: 'resolved' } } });
      expect(conversation.previousId).toBe('hv17');

      // A scan of a table, or a seek on a status alone (every resolved conversation, every sent
      // reply): work that grows with the history. Queue tables are read through their partial
      // indexes of pending and unsent rows, which stay as small as the backlog.
      const grows = (line: string) =>
        (/^SCAN (main\.)?\w+( |$)/.test(line) && !/^SCAN (main\.)?(json_each|Lease)\b/.test(line) && !QUEUE_INDEX_SCAN.test(line)) ||
        /^SEARCH (main\.)?\w+ USING (COVERING )?INDEX \w+ \(status=\?\)/.test(line);
      const read = [...statements.texts].filter((t) => /^\s*(SELECT|UPDATE|DELETE|WITH)/i.test(t));
      expect(read.length).toBeGreaterThan(10);
      const growing = read.flatMap((text) =>
        statements
          .planOf(text)
          .filter(grows)
          .map((line) => `${line}  in  ${text.replace(/\s+/g, ' ').slice(0, 200)}`),
      );
      expect(growing).toEqual([]);
    } finally {
      await p.stop();
      await db.dispose();
    }
  });

  it('follows the tables as they grow: the open database gathers them again every hour', { timeout: 120_000 }, async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    // Only the intervals are faked (the hourly run's); timeouts stay real.
    const db = await freshDatabase('sqlite');
    try {
      const statisticsOf = async (table: string) => queryRows(db.prisma, sql`SELECT "idx", "stat" FROM "sqlite_stat1" WHERE "tbl" = ${table}`);
      // Empty at the migrations' end: nothing gathered for it.
      expect(await statisticsOf('Conversation')).toEqual([]);
      await seedHistory(db, historyCustomers(2_000));
      await queryRows(db.prisma, sql`SELECT count(*) FROM "Conversation" WHERE "status" = 'resolved'`);
      await vi.advanceTimersByTimeAsync(PLANNER_STATISTICS_INTERVAL_MS);
      await eventually(async () => {
        const rows = await statisticsOf('Conversation');
        expect(rows.find((r) => r.idx === 'Conversation_customerId_channel_status_idx')?.stat).toMatch(/^2000 1 /);
      });
    } finally {
      await db.dispose();
      vi.useRealTimers();
    }
  });
});
