import { afterEach, describe, expect, it } from 'vitest';
import { Leases } from '../src/pipeline/leases.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';

describe.each(dialects)('leases on %s', (dialect) => {
  let db: TestDatabase;
  afterEach(async () => {
    await db?.dispose();
  });

  const held = async () => (await db.prisma.lease.findMany({ orderBy: { key: 'asc' } })).map((l) => [l.key, l.holder, Number(l.untilMs)]);

  it('renews only leases the holder still has: a renewal after the release never brings a lease back', async () => {
    db = await freshDatabase(dialect);
    let now = 1_000_000;
    const leases = new Leases(db, 30_000, () => now);
    expect(await leases.claim('a', ['out:1', 'out:2'])).toEqual(expect.arrayContaining(['out:1', 'out:2']));
    expect(await leases.claim('b', ['out:1'])).toEqual([]);
    now += 10_000;
    // Lane out:1 ends and gives its lease up while a heartbeat for both lanes is on its way.
    await leases.release('a', ['out:1']);
    expect(await leases.renew('a', ['out:1', 'out:2'])).toEqual(['out:2']);
    expect(await held()).toEqual([['out:2', 'a', 1_040_000]]);
    // Another holder's renewal extends nothing.
    expect(await leases.renew('b', ['out:2'])).toEqual([]);
    // The released lane is free for anyone at once.
    expect(await leases.claim('b', ['out:1'])).toEqual(['out:1']);
    expect(await leases.renew('a', [])).toEqual([]);
  });
});
