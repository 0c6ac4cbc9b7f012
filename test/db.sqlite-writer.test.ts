import { afterEach, describe, expect, it } from 'vitest';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';

/** A Prisma write that Prisma runs as a transaction of its own (a nested create). */
const nestedCreate = (db: TestDatabase, id: string) =>
  db.prisma.customer.create({
    data: { id, attributes: {}, tags: [], identities: { create: [{ id: `${id}-i`, channel: 'sms', address: `+1555${id.length}${id}` }] } },
    select: { id: true },
  });

describe.each(dialects)('writes and the transactions Prisma starts itself (%s)', (dialect) => {
  let db: TestDatabase | undefined;
  afterEach(async () => {
    await db?.dispose();
    db = undefined;
  });

  it('runs a Prisma write that needs its own transaction inside a write, and rolls it back with the write', async () => {
    db = await freshDatabase(dialect);
    const database = db;
    await database.write(async (tx) => {
      await tx.customer.create({
        data: { id: 'kept', attributes: {}, tags: [], identities: { create: [{ id: 'kept-i', channel: 'sms', address: '+15550001' }] } },
        select: { id: true },
      });
    });
    await expect(
      database.write(async (tx) => {
        await tx.customer.create({
          data: { id: 'gone', attributes: {}, tags: [], identities: { create: [{ id: 'gone-i', channel: 'sms', address: '+15550002' }] } },
          select: { id: true },
        });
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    expect((await database.prisma.customer.findMany({ select: { id: true } })).map((c) => c.id)).toEqual(['kept']);
    expect(await database.prisma.channelIdentity.count()).toBe(1);
  });

  it('keeps a transaction Prisma starts outside the writers apart from a write in progress', async () => {
    db = await freshDatabase(dialect);
    const database = db;
    let outside: Promise<unknown> | undefined;
    await expect(
      database.write(async (tx) => {
        await tx.lease.create({ data: { key: 'in-write', holder: 'test', untilMs: 1n }, select: { key: true } });
        // Started while the write's transaction is open; it must not join (and roll back with) it.
        outside = nestedCreate(database, 'outside');
        await new Promise((r) => setTimeout(r, 50));
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    await outside;
    expect(await database.prisma.lease.count()).toBe(0);
    expect((await database.prisma.customer.findMany({ select: { id: true } })).map((c) => c.id)).toEqual(['outside']);
  });
});
