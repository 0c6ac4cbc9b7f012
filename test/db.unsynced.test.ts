import { afterEach, describe, expect, it } from 'vitest';
import { execute, queryRows, sql, sqliteConnectionOf } from '../src/db/sql.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';

describe.each(dialects)('writes that do not wait for the disk (%s)', (dialect) => {
  let db: TestDatabase | undefined;
  afterEach(async () => {
    await db?.dispose();
    db = undefined;
  });

  it('commits a write with synced: false like any other, and later commits wait for the disk again', async () => {
    db = await freshDatabase(dialect);
    const database = db;
    const write = (key: string, synced: boolean) =>
      database.write((tx) => tx.lease.create({ data: { key, holder: 'test', untilMs: 1n }, select: { key: true } }), { synced });
    await write('unsynced', false);
    await write('synced', true);
    const keys = (await database.prisma.lease.findMany({ select: { key: true }, orderBy: { key: 'asc' } })).map((l) => l.key);
    expect(keys).toEqual(['synced', 'unsynced']);
    const connection = sqliteConnectionOf(database.prisma);
    // SQLite: FULL (2) again after the unsynced commit (the driver reads integers as bigint).
    if (dialect === 'sqlite') expect(Number(connection?.pragma('synchronous', { simple: true }))).toBe(2);
  });

  it('rolls a failed unsynced write back, and puts the disk sync back', async () => {
    db = await freshDatabase(dialect);
    const database = db;
    await expect(
      database.write(
        async (tx) => {
          await tx.lease.create({ data: { key: 'gone', holder: 'test', untilMs: 1n }, select: { key: true } });
          throw new Error('handler failed');
        },
        { synced: false },
      ),
    ).rejects.toThrow('handler failed');
    expect(await database.prisma.lease.count()).toBe(0);
    if (dialect === 'sqlite') expect(Number(sqliteConnectionOf(database.prisma)?.pragma('synchronous', { simple: true }))).toBe(2);
  });

  it('runs bookkeeping statements without waiting for the disk, visible to every connection at once', async () => {
    db = await freshDatabase(dialect);
    const database = db;
    const inserted = await database.unsynced(async (client) => {
      if (dialect === 'postgresql') expect((await queryRows(client, sql`SHOW synchronous_commit`))[0]?.synchronous_commit).toBe('off');
      return execute(client, sql`INSERT INTO "Lease" ("key", "holder", "untilMs") VALUES (${'bookkeeping'}, ${'test'}, ${1})`);
    });
    expect(inserted).toBe(1);
    expect(await database.prisma.lease.count()).toBe(1);
    if (dialect === 'postgresql') expect((await queryRows(database.prisma, sql`SHOW synchronous_commit`))[0]?.synchronous_commit).toBe('on');
    if (dialect === 'sqlite') expect(Number(sqliteConnectionOf(database.prisma)?.pragma('synchronous', { simple: true }))).toBe(2);
  });
});
