import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dialects, freshDatabase } from './support/databases.ts';
import { FakeAdapter, settle, testParley } from './support/parley.ts';

const run = promisify(execFile);
type TestDb = Awaited<ReturnType<typeof freshDatabase>>;

describe.each(dialects)('a process killed after acknowledging, on %s', (dialect) => {
  let db: TestDb;

  beforeEach(async () => {
    db = await freshDatabase(dialect);
  });

  afterEach(async () => {
    await db.dispose();
  });

  it('loses nothing: the message is handled after restart', async () => {
    const child = await run(process.execPath, ['bin/run-ts.js', 'test/support/accept-then-die.ts', db.url, 'wamid.crash-1']).catch(
      (error: { stdout: string; signal: string }) => error,
    );
    expect(child.stdout.trim()).toBe('accepted');
    expect((child as { signal?: string }).signal).toBe('SIGKILL');
    expect(await db.prisma.inboxEvent.count({ where: { status: 'pending' } })).toBe(1);
    expect(await db.prisma.message.count()).toBe(0);

    const adapter = new FakeAdapter();
    const restarted = await testParley(db, { adapters: [adapter] });
    await restarted.startChannels();
    await settle(restarted);
    await restarted.stop();
    const messages = await db.prisma.message.findMany({ orderBy: { id: 'asc' } });
    expect(messages.map((m) => [m.direction, m.text?.slice(0, 12)])).toEqual([
      ['inbound', 'please do no'],
      ['outbound', 'Thanks for y'],
    ]);
    expect(adapter.sent).toHaveLength(1);
    expect(adapter.sent[0]?.recipient).toBe('+989121234567');
  }, 60_000);
});
