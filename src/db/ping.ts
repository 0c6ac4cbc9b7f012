import BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';

/**
 * A readiness check of the database on a connection of its own. The app's connections are
 * busy with the writers under load: on SQLite a query waits for the open transaction's lock,
 * on PostgreSQL for a free connection of the pool, for seconds at full load. This one never
 * queues behind them: SQLite in WAL mode lets a reader in beside the writer, and PostgreSQL
 * gives it its own session. Concurrent pings share one check.
 */
export interface DatabasePing {
  /** Resolves when the database answered a read; rejects with why not. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** SQLite: a read-only connection, opened on first use; a read of the schema page is synchronous and short. */
export function sqlitePing(path: string): DatabasePing {
  let connection: BetterSqlite3.Database | undefined;
  return {
    async ping() {
      connection ??= new BetterSqlite3(path, { readonly: true, fileMustExist: true, timeout: 1_000 });
      connection.prepare('SELECT count(*) FROM sqlite_schema').get();
    },
    async close() {
      connection?.close();
      connection = undefined;
    },
  };
}

/** PostgreSQL: one session of its own, reconnected after a failure; a query gives up after `timeoutMs`. */
export function postgresPing(url: string, timeoutMs = 2_000): DatabasePing {
  let client: pg.Client | undefined;
  let inFlight: Promise<void> | undefined;
  const drop = () => {
    const dead = client;
    client = undefined;
    void dead?.end().catch(() => {});
  };
  const check = async () => {
    if (!client) {
      // Loaded here: a SQLite process never needs the PostgreSQL driver.
      const { Client } = (await import('pg')).default;
      const fresh = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
      // An idle session the server closes must not crash the process: the next ping reconnects.
      fresh.on('error', () => {
        if (client === fresh) drop();
      });
      client = fresh;
      await fresh.connect();
    }
    await client.query('SELECT 1');
  };
  return {
    ping() {
      inFlight ??= check()
        .catch((error: unknown) => {
          drop();
          throw error;
        })
        .finally(() => (inFlight = undefined));
      return inFlight;
    },
    async close() {
      const last = client;
      client = undefined;
      await last?.end().catch(() => {});
    },
  };
}

/**
 * A ping whose answer is kept for `freshMs` and refreshed in the background after `refreshAfterMs`,
 * so a readiness probe under load reads a recent answer instead of waiting for a round trip
 * (measured on PostgreSQL at full load: p99 75 ms live against 49 ms for /healthz). An answer,
 * good or bad, is never older than `freshMs`; past that the caller waits for a live check.
 */
export function cachedPing(inner: DatabasePing, { freshMs = 2_000, refreshAfterMs = 500, now = () => Date.now() } = {}): DatabasePing {
  let last: { at: number; error?: unknown } | undefined;
  let refreshing: Promise<void> | undefined;
  const refresh = () => {
    refreshing ??= inner
      .ping()
      .then(
        () => void (last = { at: now() }),
        (error: unknown) => void (last = { at: now(), error }),
      )
      .finally(() => (refreshing = undefined));
    return refreshing;
  };
  return {
    async ping() {
      const age = last ? now() - last.at : Infinity;
      if (age > freshMs) await refresh();
      else if (age > refreshAfterMs) void refresh();
      if (last?.error !== undefined) throw last.error;
    },
    async close() {
      last = undefined;
      await refreshing?.catch(() => {});
      await inner.close();
    },
  };
}
