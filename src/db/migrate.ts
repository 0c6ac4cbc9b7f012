import BetterSqlite3 from 'better-sqlite3';
import type { Database } from './database.ts';
import { loadMigrations, noFilters, withSchemaEngine } from './schema-engine.ts';

const APPLIED = 'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL';

/** Names of the migrations the database has recorded as applied; none when it is new. */
async function appliedMigrations(db: Database): Promise<Set<string>> {
  try {
    if (db.dialect === 'sqlite') {
      // A connection of its own, closed at once: a failed query on the client's shared
      // connection left it holding a lock the engine's exclusive mode then waited on.
      const sqlite = new BetterSqlite3(db.path, { readonly: true, fileMustExist: true });
      try {
        return new Set((sqlite.prepare(APPLIED).all() as { migration_name: string }[]).map((r) => r.migration_name));
      } finally {
        sqlite.close();
      }
    }
    const rows = await db.prisma.$queryRawUnsafe<{ migration_name: string }[]>(APPLIED);
    return new Set(rows.map((r) => r.migration_name));
  } catch {
    return new Set();
  }
}

/**
 * Applies prisma/migrations/<dialect>/ that the database has not seen, recorded in
 * `_prisma_migrations` exactly as `prisma migrate deploy` does. Safe to run again.
 */
export async function migrate(db: Database, log?: (line: string) => void): Promise<{ applied: string[] }> {
  const migrationsList = loadMigrations(db.dialect);
  if (migrationsList.migrationDirectories.length === 0) throw new Error(`no migrations found in ${migrationsList.baseDir}`);
  // Up to date: skip the engine, which on SQLite needs the file to itself (another Parley
  // process may have it open) and takes a few hundred milliseconds to load.
  const applied = await appliedMigrations(db);
  const pending = migrationsList.migrationDirectories.filter((d) => !applied.has(d.path)).map((d) => d.path);
  if (pending.length === 0) return { applied: [] };
  try {
    const result = await withSchemaEngine(db.dialect, db.adapterFactory, (engine) => engine.applyMigrations({ migrationsList, filters: noFilters }), log);
    return { applied: result.appliedMigrationNames };
  } catch (error) {
    const busy = db.dialect === 'sqlite' && /SocketTimeout|SQLITE_BUSY|locked/i.test((error as Error).message);
    const hint = busy ? ' (another process has the SQLite file open: stop it while migrations are applied)' : '';
    throw new Error(`migrating ${db.displayUrl} (${pending.join(', ')}) failed${hint}: ${(error as Error).message}`, { cause: error });
  }
}
