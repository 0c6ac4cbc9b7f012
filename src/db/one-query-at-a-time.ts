import type pg from 'pg';

/**
 * A transaction's pooled connection that sends its queries one after another. Prisma's query
 * interpreter loads the relations of an `include` with Promise.all (a `join` node), which on a
 * pool runs them on several connections but inside a transaction puts them all on its one
 * connection at once. pg 8 queues them and warns ("Calling client.query() when the client is
 * already executing a query is deprecated"); pg 9 refuses them. Still so in @prisma/adapter-pg
 * 7.10; the adapter's own fix is proposed in https://github.com/prisma/orm/pull/29979.
 * The statements our code runs on the same connection (src/db/sql.ts) wait their turn here too.
 * Only promise-returning calls (no callback) are used on a transaction's connection.
 */
export function oneQueryAtATime<Connection extends Pick<pg.PoolClient, 'query'>>(connection: Connection): Connection {
  let previous: Promise<unknown> = Promise.resolve();
  const query = (...args: unknown[]) => {
    const next = previous.then(() => (connection.query as (...a: unknown[]) => Promise<unknown>)(...args));
    // A failed query still hands the connection on (the transaction then rolls back as usual).
    previous = next.catch(() => undefined);
    return next;
  };
  return new Proxy(connection, {
    get(target, property) {
      if (property === 'query') return query;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
