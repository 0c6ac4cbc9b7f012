import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Parley } from '../src/runtime.ts';
import { buildServer } from '../src/server/app.ts';
import { dialects, freshDatabase } from './support/databases.ts';
import { testParley } from './support/parley.ts';

/** Connections of the PostgreSQL pool the app writes through (src/db/database.ts). */
const POOL_SIZE = 10;

describe.each(dialects)('health on %s', (dialect) => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let parley: Parley;
  let app: FastifyInstance;

  beforeEach(async () => {
    db = await freshDatabase(dialect);
    parley = await testParley(db);
    app = await buildServer(parley);
  });

  afterEach(async () => {
    await app.close();
    await parley.stop();
    await db.dispose();
  });

  it('answers /readyz with the database checked while every writer connection is held by an open transaction', { timeout: 120_000 }, async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let open = 0;
    // SQLite: one transaction holds the shared connection's lock; PostgreSQL: every pooled connection is in a transaction.
    const writers = Array.from({ length: dialect === 'sqlite' ? 1 : POOL_SIZE }, () =>
      db.write(async (tx) => {
        await tx.customer.count();
        open++;
        await held;
      }),
    );
    // The pool is exhausted (or the lock taken) before the probe.
    while (open < writers.length) await new Promise((r) => setTimeout(r, 10));
    const queued = db.prisma.customer.count();
    try {
      const ready = await app.inject({ url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toMatchObject({ status: 'ready', database: 'ok' });
      const live = await app.inject({ url: '/healthz' });
      expect(live.json()).toEqual({ status: 'ok' });
    } finally {
      release();
      await Promise.all(writers);
    }
    // The app's own query waited for the writers and still answers once they are done.
    expect(await queued).toBe(0);
  });

  it('says the database is unreachable when it is', async () => {
    await db.dispose();
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().database).toMatch(/^unreachable: /);
    db = await freshDatabase(dialect);
  });
});

describe('SQLite writers and the event loop', () => {
  it('give the event loop a turn between queued writes, so requests (health probes) are read under load', async () => {
    const db = await freshDatabase('sqlite');
    try {
      const committed: number[] = [];
      const writes = Array.from({ length: 50 }, (_, i) =>
        db.write(async (tx) => {
          await tx.customer.count();
          committed.push(i);
        }),
      );
      // better-sqlite3 answers synchronously: without a turn between them all 50 ran before this callback.
      const seen = await new Promise<number>((resolve) => setImmediate(() => resolve(committed.length)));
      await Promise.all(writes);
      expect(committed).toHaveLength(50);
      expect(seen).toBeLessThan(50);
    } finally {
      await db.dispose();
    }
  });
});
