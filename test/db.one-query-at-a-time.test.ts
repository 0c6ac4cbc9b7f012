import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../src/core/ids.ts';
import { oneQueryAtATime } from '../src/db/one-query-at-a-time.ts';
import { queryRows, sql } from '../src/db/sql.ts';
import { freshDatabase, type TestDatabase } from './support/databases.ts';

type Query = (...args: unknown[]) => unknown;

/**
 * Records every query a pg connection is given while one it was given before is still running
 * (what pg 8 warns about once per process, and pg 9 refuses), counted here on every call.
 */
function watchOverlappingQueries(): { readonly overlapping: string[]; stop(): void } {
  const prototype = pg.Client.prototype as unknown as { query: Query };
  const original = prototype.query;
  const running = new WeakMap<object, number>();
  const overlapping: string[] = [];
  prototype.query = function (this: object, ...args: unknown[]) {
    const text = typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: string }).text);
    if ((running.get(this) ?? 0) > 0) overlapping.push(text);
    running.set(this, (running.get(this) ?? 0) + 1);
    const done = () => running.set(this, (running.get(this) ?? 1) - 1);
    const callback = args.at(-1);
    if (typeof callback === 'function') {
      args[args.length - 1] = (...results: unknown[]) => {
        done();
        return (callback as Query)(...results);
      };
      return original.apply(this, args);
    }
    const result = original.apply(this, args) as Promise<unknown>;
    result.then(done, done);
    return result;
  };
  return { overlapping, stop: () => (prototype.query = original) };
}

describe('a PostgreSQL transaction sends its queries one at a time', () => {
  let db: TestDatabase | undefined;
  let watch: ReturnType<typeof watchOverlappingQueries> | undefined;
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(warning.message);
  beforeEach(() => {
    warnings.length = 0;
    process.on('warning', onWarning);
  });
  afterEach(async () => {
    process.off('warning', onWarning);
    watch?.stop();
    await db?.dispose();
    db = undefined;
  });

  it('loads several included relations and statements run side by side without overlapping on its connection', async () => {
    db = await freshDatabase('postgresql');
    const id = newId();
    watch = watchOverlappingQueries();
    const found = await db.write(async (tx) => {
      await tx.customer.create({ data: { id, attributes: {}, tags: [] } });
      // Prisma loads each included relation with a query of its own, all at once (routing's queued conversation does so).
      const customer = await tx.customer.findUniqueOrThrow({
        where: { id },
        include: { identities: true, conversations: true, tickets: true, surveyResponses: true, flowSessions: true },
      });
      const [slept, one, leases] = await Promise.all([
        queryRows(tx, sql`SELECT pg_sleep(0.01) AS "slept"`),
        queryRows(tx, sql`SELECT 1 AS "one"`),
        tx.lease.findMany(),
      ]);
      return { customer, slept, one, leases };
    });
    expect(found.customer.id).toBe(id);
    expect(found.customer.identities).toEqual([]);
    expect(found.one).toEqual([{ one: 1 }]);
    expect(found.leases).toEqual([]);
    expect(watch.overlapping).toEqual([]);
    expect(warnings.filter((w) => w.includes('already executing a query'))).toEqual([]);
  });
});

describe('oneQueryAtATime', () => {
  it('starts a query when the one before it has settled, failed or not, and keeps each caller its own result', async () => {
    const started: string[] = [];
    const finish = new Map<string, { resolve: (v: string) => void; reject: (e: Error) => void }>();
    const connection = {
      query: (text: string) =>
        new Promise<string>((resolve, reject) => {
          started.push(text);
          finish.set(text, { resolve, reject });
        }),
      release: () => 'released',
    };
    const serial = oneQueryAtATime(connection as unknown as pg.PoolClient);
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    const a = serial.query('a') as unknown as Promise<string>;
    const b = serial.query('b') as unknown as Promise<string>;
    const c = serial.query('c') as unknown as Promise<string>;
    await turn();
    expect(started).toEqual(['a']);
    finish.get('a')?.reject(new Error('a failed'));
    await expect(a).rejects.toThrow('a failed');
    await turn();
    expect(started).toEqual(['a', 'b']);
    finish.get('b')?.resolve('B');
    expect(await b).toBe('B');
    await turn();
    finish.get('c')?.resolve('C');
    expect(await c).toBe('C');
    expect((serial as unknown as typeof connection).release()).toBe('released');
  });
});
