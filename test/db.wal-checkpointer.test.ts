import { closeSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { Mutex } from '../src/core/mutex.ts';
import { sqliteConnectionOf } from '../src/db/sql.ts';
import { needsWritersHeld, WalCheckpointer } from '../src/db/wal-checkpointer.ts';
import { freshDatabase, type TestDatabase } from './support/databases.ts';

/** The WAL header's salt-1, which SQLite changes each time the WAL restarts from its beginning (https://sqlite.org/fileformat2.html#walformat). */
function walSalt(path: string): number {
  const header = Buffer.alloc(24);
  const file = openSync(`${path}-wal`, 'r');
  try {
    readSync(file, header, 0, 24, 0);
  } finally {
    closeSync(file);
  }
  return header.readUInt32BE(16);
}

const turnOfEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('WAL checkpoints on a thread of their own', () => {
  let db: TestDatabase | undefined;
  afterEach(async () => {
    await db?.dispose();
    db = undefined;
  });

  it('keeps SQLite from checkpointing in the commits of Parley’s connection', async () => {
    db = await freshDatabase('sqlite');
    await db.write((tx) => tx.lease.create({ data: { key: 'a', holder: 'test', untilMs: 1n }, select: { key: true } }));
    expect(Number(sqliteConnectionOf(db.prisma)?.pragma('wal_autocheckpoint', { simple: true }))).toBe(0);
  });

  it('copies the WAL back while commits go on, and holds the writers once for the WAL to restart when it grows past the limit; the thread runs only while commits come', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-checkpoint-'));
    const path = join(dir, 'db.sqlite');
    const connection = new Database(path);
    connection.pragma('journal_mode = WAL');
    connection.pragma('wal_autocheckpoint = 0');
    connection.exec('CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    const writers = new Mutex();
    let written = 0;
    const failures: string[] = [];
    const maxFrames = 60;
    const checkpointer = new WalCheckpointer(path, {
      intervalMs: 5,
      maxFrames,
      startAfterCommits: 50,
      idleCheckpoints: 5,
      writersTurn: (work) => writers.run(work, { ahead: true }),
      onFailure: (message) => failures.push(message),
    });
    try {
      const insert = connection.prepare('INSERT INTO note (body) VALUES (?)');
      const rows = 3_000;
      insert.run('first');
      const firstSalt = walSalt(path);
      // Each row its own commit and its own turn, with a turn of the event loop between them, as
      // Parley's writers run; commits keep coming while the thread copies, so its checkpoints
      // cannot finish and one must hold the writers; the WAL restarts at a commit after such a
      // checkpoint (a restart that meets the thread's next checkpoint waits for the next hold).
      const deadline = Date.now() + 90_000;
      while ((written < rows || checkpointer.stats().heldTurns === 0 || walSalt(path) === firstSalt) && Date.now() < deadline) {
        await writers.run(async () => void insert.run(`note ${written} ${'x'.repeat(400)}`));
        written++;
        checkpointer.committed();
        if (written === 49) expect(checkpointer.stats().running).toBe(false);
        await turnOfEventLoop();
      }
      const stats = checkpointer.stats();
      expect(failures).toEqual([]);
      expect(stats.checkpoints).toBeGreaterThan(0);
      expect(stats.heldTurns).toBeGreaterThan(0);
      expect(walSalt(path)).not.toBe(firstSalt);
      // Once nothing is written, the thread ends.
      while (checkpointer.stats().running && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(checkpointer.stats().running).toBe(false);
    } finally {
      await checkpointer.close();
      connection.close();
    }
    const reopened = new Database(path, { readonly: true });
    try {
      expect(reopened.prepare('SELECT count(*) AS n FROM note').get()).toEqual({ n: written + 1 });
    } finally {
      reopened.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('holds the writers once the WAL is past the limit and growing, also after a checkpoint that copied every frame it found', () => {
    // Under steady commits every checkpoint finished and a commit landed during each: the WAL
    // never restarted by itself (470 MB after 10 s at 1,000 messages/s on SQLite).
    const before = { busy: 0, log: 96_177, checkpointed: 96_177 };
    expect(needsWritersHeld({ busy: 0, log: 107_530, checkpointed: 107_530 }, before, 10_000)).toBe(true);
    expect(needsWritersHeld({ busy: 0, log: 12_000, checkpointed: 9_000 }, undefined, 10_000)).toBe(true);
    expect(needsWritersHeld({ busy: 0, log: 6_540, checkpointed: 6_540 }, undefined, 10_000)).toBe(false);
    // Nothing written since: the next write restarts the WAL by itself, and the thread may end.
    expect(needsWritersHeld(before, before, 10_000)).toBe(false);
  });
});
