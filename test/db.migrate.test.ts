import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { newId } from '../src/core/ids.ts';
import { openDatabase } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { loadMigrations } from '../src/db/schema-engine.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';

const models = () => [...readFileSync(new URL('../prisma/schema.prisma', import.meta.url), 'utf8').matchAll(/^model (\w+) \{/gm)].map((m) => m[1] as string);

async function tableNames(db: TestDatabase): Promise<string[]> {
  const tables = await db.prisma.$queryRawUnsafe<{ name: string }[]>(
    db.dialect === 'sqlite'
      ? `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_prisma_migrations'`
      : `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`,
  );
  return tables.map((t) => t.name).sort();
}

/** Migration names recorded as applied, one entry per history row. */
async function appliedRows(db: TestDatabase): Promise<string[]> {
  const rows = await db.prisma.$queryRawUnsafe<{ migration_name: string }[]>(
    'SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name',
  );
  return rows.map((r) => r.migration_name);
}

/** A child process migrating the database (test/support/migrate-child.ts), with its stdout lines. */
function migrateInChild(db: TestDatabase, pauseAt = '') {
  const child: ChildProcess = spawn(process.execPath, ['bin/run-ts.js', 'test/support/migrate-child.ts', db.url, pauseAt], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    for (const w of waiters.filter((w) => w.pattern.test(out))) w.resolve();
  });
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    exit,
    output: () => ({ out, err }),
    /** Resolves when stdout has a line matching pattern; fails if the child exits first. */
    waitFor: (pattern: RegExp) =>
      Promise.race([
        new Promise<void>((resolve) => (pattern.test(out) ? resolve() : waiters.push({ pattern, resolve }))),
        exit.then(({ code }) => Promise.reject(new Error(`child exited (${code}) before printing ${pattern}: ${out}${err}`))),
      ]),
    kill: async () => {
      child.kill('SIGKILL');
      return exit;
    },
  };
}

/** The schema is complete, recorded once per migration, and the app can store and read rows. */
async function expectWorkingSchema(db: TestDatabase): Promise<void> {
  expect(await tableNames(db)).toEqual(models().sort());
  expect(await appliedRows(db)).toEqual(loadMigrations(db.dialect).migrationDirectories.map((d) => d.path));
  const customer = await db.prisma.customer.create({ data: { id: newId(), name: 'Reza', attributes: {}, tags: [] } });
  await db.prisma.channelIdentity.create({ data: { id: newId(), customerId: customer.id, channel: 'sms', address: '+989121234567' } });
  expect(await db.prisma.channelIdentity.count({ where: { customerId: customer.id } })).toBe(1);
}

describe.each(dialects)('database on %s', (dialect) => {
  let db: TestDatabase;

  afterEach(async () => {
    await db.dispose();
  });

  it('is created by the migrations, and migrating again applies nothing', async () => {
    db = await freshDatabase(dialect);
    expect(await migrate(db)).toEqual({ applied: [] });
    // Every model of the one schema source, and nothing else, exists after the migrations.
    expect(await tableNames(db)).toEqual(models().sort());
  });

  it('stores Json, enums and dates and enforces one identity per channel address', async () => {
    db = await freshDatabase(dialect);
    const customer = await db.prisma.customer.create({
      data: { id: newId(), name: 'سارا', attributes: { city: 'شیراز', orders: 3 }, tags: ['vip'], lifecycleStage: 'at_risk' },
    });
    const identity = { id: newId(), customerId: customer.id, channel: 'sms', address: '+989121234567' };
    await db.prisma.channelIdentity.create({ data: identity });
    await expect(db.prisma.channelIdentity.create({ data: { ...identity, id: newId() } })).rejects.toMatchObject({ code: 'P2002' });
    const read = await db.prisma.customer.findUniqueOrThrow({ where: { id: customer.id } });
    expect(read).toMatchObject({ name: 'سارا', attributes: { city: 'شیراز', orders: 3 }, tags: ['vip'], lifecycleStage: 'at_risk' });
    expect(read.firstSeenAt).toBeInstanceOf(Date);
  });

  if (dialect === 'sqlite') {
    it('leaves the file unlocked and in WAL mode after migrating', async () => {
      db = await freshDatabase('sqlite');
      const again = await openDatabase(db.url);
      const [mode] = await again.prisma.$queryRawUnsafe<{ journal_mode: string }[]>('PRAGMA journal_mode');
      expect(mode?.journal_mode).toBe('wal');
      await again.prisma.$executeRawUnsafe('CREATE TABLE scratch (x INTEGER)');
      await again.close();
      expect(existsSync(db.path as string)).toBe(true);
    });
  }

  describe('killed while migrating', () => {
    const names = loadMigrations(dialect).migrationDirectories.map((d) => d.path);
    const first = names[0] as string;
    const middle = names[Math.floor(names.length / 2)] as string;

    it.each([first, middle])('inside migration %s: nothing of it stays, and the next start completes the schema', async (pauseAt) => {
      db = await freshDatabase(dialect, { blank: true });
      const child = migrateInChild(db, pauseAt);
      await child.waitFor(new RegExp(`paused in ${pauseAt}`));
      expect((await child.kill()).signal).toBe('SIGKILL');
      // The killed migration's transaction is gone: only the ones before it are there (none
      // before the first: not even the history table, created in the same transaction).
      if (pauseAt === first) expect(await tableNames(db)).toEqual([]);
      else expect(await appliedRows(db)).toEqual(names.slice(0, names.indexOf(pauseAt)));

      const restarted = await migrate(db);
      expect(restarted.applied).toEqual(names.slice(names.indexOf(pauseAt)));
      await expectWorkingSchema(db);
    });

    it('as soon as it started: the next start completes the schema', async () => {
      db = await freshDatabase(dialect, { blank: true });
      const child = migrateInChild(db);
      await child.waitFor(/started/);
      await child.kill();
      await migrate(db);
      await expectWorkingSchema(db);
    });

    it("after Prisma's engine recorded a migration as started and died: it is applied again", async () => {
      db = await freshDatabase(dialect, { blank: true });
      // What `prisma migrate deploy` leaves when killed before the first statement ran:
      // a history row with no finished_at, which made every later start exit 1.
      await db.prisma.$executeRawUnsafe(
        dialect === 'sqlite'
          ? `CREATE TABLE "_prisma_migrations" ("id" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL, "finished_at" DATETIME, "migration_name" TEXT NOT NULL,
             "logs" TEXT, "rolled_back_at" DATETIME, "started_at" DATETIME NOT NULL DEFAULT current_timestamp, "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0)`
          : `CREATE TABLE "_prisma_migrations" ("id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ, "migration_name" VARCHAR(255) NOT NULL,
             "logs" TEXT, "rolled_back_at" TIMESTAMPTZ, "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`,
      );
      await db.prisma.$executeRawUnsafe(`INSERT INTO "_prisma_migrations" (id, checksum, migration_name) VALUES ('${newId()}', 'x', '${first}')`);
      expect((await migrate(db)).applied).toEqual(names);
      await expectWorkingSchema(db);
    });

    it('after an interrupted engine run left part of a migration applied: refuses with what to do, changing nothing', async () => {
      db = await freshDatabase(dialect, { blank: true });
      await migrate(db);
      await db.prisma.$executeRawUnsafe(`DELETE FROM "_prisma_migrations" WHERE migration_name = '${first}'`);
      await db.prisma.$executeRawUnsafe(`INSERT INTO "_prisma_migrations" (id, checksum, migration_name) VALUES ('${newId()}', 'x', '${first}')`);
      await expect(migrate(db)).rejects.toThrow(new RegExp(`${first} failed and was rolled back \\(an interrupted run .*prisma migrate resolve`));
      const unfinished = await db.prisma.$queryRawUnsafe<unknown[]>('SELECT id FROM "_prisma_migrations" WHERE finished_at IS NULL AND rolled_back_at IS NULL');
      expect(unfinished).toHaveLength(1);
    });

    it('two processes starting at once: one applies each migration, both start', async () => {
      db = await freshDatabase(dialect, { blank: true });
      const [a, b] = [migrateInChild(db), migrateInChild(db)];
      const exits = await Promise.all([a.exit, b.exit]);
      expect(
        exits.map((e) => e.code),
        JSON.stringify([a.output(), b.output()]),
      ).toEqual([0, 0]);
      const counts = [a, b].map((c) => Number(/applied (\d+)/.exec(c.output().out)?.[1]));
      expect(counts[0]! + counts[1]!).toBe(names.length);
      await expectWorkingSchema(db);
    });
  });
});
