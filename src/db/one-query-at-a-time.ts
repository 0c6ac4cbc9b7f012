import type pg from 'pg';

const SERIAL = Symbol('oneQueryAtATime');

/**
 * A transaction's pooled connection that sends its queries one after another. Prisma's query
 * interpreter loads the relations of an `include` with Promise.all (a `join` node), which on a
 * pool runs them on several connections but inside a transaction puts them all on its one
 * connection at once. pg 8 queues them and warns ("Calling client.query() when the client is
 * already executing a query is deprecated"); pg 9 refuses them. Still so in @prisma/adapter-pg
 * 7.10; the adapter's own fix is proposed in https://github.com/prisma/orm/pull/29979.
 * The statements our code runs on the same connection (src/db/sql.ts) wait their turn here too.
 *
 * The queue is installed on the connection itself, once (a pooled connection keeps it for its next
 * transactions): a Proxy in front of it cost about a tenth of the CPU per message on PostgreSQL
 * at 500/s (a new bound function on every property read), measured alternately. A query sent
 * while none is running goes out at once; callback and submittable queries (pg's own Pool.query
 * uses them, never inside a transaction) pass through.
 */
export function oneQueryAtATime<Connection extends Pick<pg.PoolClient, 'query'>>(connection: Connection): Connection {
  const marked = connection as Connection & { [SERIAL]?: true };
  if (marked[SERIAL]) return connection;
  const send = (connection.query as (...a: unknown[]) => unknown).bind(connection);
  let pending = 0;
  let last: Promise<unknown> = Promise.resolve();
  const query = (...args: unknown[]) => {
    const first = args[0] as { submit?: unknown } | undefined;
    if (typeof args.at(-1) === 'function' || typeof first?.submit === 'function') return send(...args);
    const run = () => send(...args) as Promise<unknown>;
    // A failed query still hands the connection on (the transaction then rolls back as usual).
    const next = pending === 0 ? run() : last.then(run, run);
    pending++;
    const settled = () => void pending--;
    next.then(settled, settled);
    last = next;
    return next;
  };
  Object.assign(marked, { query, [SERIAL]: true });
  return connection;
}
