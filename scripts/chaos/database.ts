import { rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { Dialect } from '../../src/db/database.ts';

/** The local PostgreSQL server of this project's machines (CHAOS_POSTGRES_URL or TEST_POSTGRES_URL override). */
const adminUrl = process.env.CHAOS_POSTGRES_URL ?? process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface EmptyDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

/**
 * An empty database for one scenario, not migrated: `parley start` migrates it as it would on a
 * first install. SQLite: a file in the scenario's directory; PostgreSQL: a new database.
 */
export async function emptyDatabase(dialect: Dialect, dir: string, name: string): Promise<EmptyDatabase> {
  if (dialect === 'sqlite') {
    const path = join(dir, `${name}.db`);
    return { url: `file:${path}`, drop: async () => ['', '-wal', '-shm'].forEach((suffix) => rmSync(`${path}${suffix}`, { force: true })) };
  }
  const database = `parley_chaos_${name.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${database}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return {
    url: url.href,
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`).finally(() => client.end());
    },
  };
}
