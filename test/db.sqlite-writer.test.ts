import { afterEach, describe, expect, it } from 'vitest';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';

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

  it('lets a write wait for a transaction Prisma started outside the writers, then commits both', async () => {
    db = await freshDatabase(dialect);
    const database = db;
    let inside: () => void = () => {};
    const begun = new Promise<void>((resolve) => (inside = resolve));
    const outside = database.prisma.$transaction(async (tx) => {
      await tx.lease.create({ data: { key: 'outside', holder: 'test', untilMs: 1n }, select: { key: true } });
      inside();
      await new Promise((r) => setTimeout(r, 50));
      await tx.lease.create({ data: { key: 'outside-2', holder: 'test', untilMs: 1n }, select: { key: true } });
    });
    await begun;
    const write = database.write((tx) => tx.lease.create({ data: { key: 'write', holder: 'test', untilMs: 1n }, select: { key: true } }));
    await Promise.all([outside, write]);
    expect((await database.prisma.lease.findMany({ select: { key: true }, orderBy: { key: 'asc' } })).map((l) => l.key)).toEqual([
      'outside',
      'outside-2',
      'write',
    ]);
  });
});
