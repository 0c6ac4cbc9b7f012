import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { newId } from '../../src/core/ids.ts';
import { type Database, type Dialect, openDatabase } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { loadMigrations, noFilters, withSchemaEngine } from '../../src/db/schema-engine.ts';

export type { Dialect };
export const dialects: Dialect[] = ['sqlite', 'postgresql'];

/** The local PostgreSQL server every machine of this project runs (TEST_POSTGRES_URL overrides). */
const adminUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase extends Database {
  readonly url: string;
  dispose(): Promise<void>;
}

/**
 * A brand-new, migrated database: a temp SQLite file, or a new database on the local server.
 * With `before` (a migration's name without its timestamp), only the migrations older than
 * that one are applied: a test stores rows as they were, then runs `migrate` to see them moved.
 * With `blank`, nothing is applied.
 */
export async function freshDatabase(dialect: Dialect, options: { before?: string; blank?: boolean } = {}): Promise<TestDatabase> {
  const name = `parley_test_${newId().replace(/-/g, '').slice(-16)}`;
  const migrateIt = async (db: Database) => {
    if (options.blank) return;
    await (options.before ? migrateBefore(db, options.before) : migrate(db));
  };
  if (dialect === 'sqlite') {
    const path = join(tmpdir(), `${name}.db`);
    const url = `file:${path}`;
    const db = await openDatabase(url);
    await migrateIt(db);
    return {
      ...db,
      url,
      async dispose() {
        await db.close();
        for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
      },
    };
  }
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = await openDatabase(url.href);
  await migrateIt(db);
  return {
    ...db,
    url: url.href,
    async dispose() {
      await db.close();
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    },
  };
}

async function migrateBefore(db: Database, name: string): Promise<void> {
  const list = loadMigrations(db.dialect);
  const index = list.migrationDirectories.findIndex((d) => d.path.replace(/^\d+_/, '') === name);
  if (index < 0) throw new Error(`no migration named ${name} in ${list.baseDir}`);
  const migrationsList = { ...list, migrationDirectories: list.migrationDirectories.slice(0, index) };
  await withSchemaEngine(db.dialect, db.adapterFactory, (engine) => engine.applyMigrations({ migrationsList, filters: noFilters }));
}
