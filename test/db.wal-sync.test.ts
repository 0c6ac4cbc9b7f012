import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WalSync } from '../src/db/wal-sync.ts';
import { sqliteConnectionOf } from '../src/db/sql.ts';
import { freshDatabase, type TestDatabase } from './support/databases.ts';

describe('WAL sync of a SQLite database', () => {
  let db: TestDatabase | undefined;
  afterEach(async () => {
    await db?.dispose();
    db = undefined;
  });

  it('resolves syncs asked together and during a running sync, with a WAL file and without one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-wal-'));
    try {
      const path = join(dir, 'db.sqlite');
      writeFileSync(path, '');
      writeFileSync(`${path}-wal`, 'frames');
      const wal = new WalSync(path);
      let first = false;
      const together = [wal.sync().then(() => (first = true)), wal.sync(), wal.sync()];
      await Promise.resolve();
      await new Promise((r) => setImmediate(r));
      // Asked while the first sync may be running: resolves only after a sync that began later.
      const later = wal.sync();
      await Promise.all(together);
      expect(first).toBe(true);
      await later;
      rmSync(`${path}-wal`);
      await wal.sync(); // no WAL: the database file is synced instead
      await wal.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('commits the writes of a turn without a sync on the connection, and leaves the connection syncing every other commit', async () => {
    db = await freshDatabase('sqlite');
    const database = db;
    await database.write((tx) => tx.lease.create({ data: { key: 'a', holder: 'test', untilMs: 1n }, select: { key: true } }));
    await database.run((client) => client.lease.create({ data: { key: 'b', holder: 'test', untilMs: 1n }, select: { key: true } }));
    expect(await database.prisma.lease.count()).toBe(2);
    expect(Number(sqliteConnectionOf(database.prisma)?.pragma('synchronous', { simple: true }))).toBe(2);
  });
});
