// npm run migration:new -- <name>
// Writes, for SQLite and for PostgreSQL, the migration from the schema as it was when the
// last migration was committed to the current prisma/schema.prisma. Commit each migration
// together with the schema change it belongs to. PostgreSQL: the engine connects to
// MIGRATION_DATABASE_URL (default the local server) but changes nothing there.
//
// Why a schema-to-schema diff: the engine can replay migrations in a shadow database, but
// through the PostgreSQL driver adapter its introspection fails ("Column type 'char' could
// not be deserialized"), so the previous schema is read from git instead.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import type { Dialect } from '../src/db/database.ts';
import { loadMigrations, migrationsDir, noFilters, repoRoot, schemaPath, withSchemaEngine } from '../src/db/schema-engine.ts';
import { derivePostgresSchema } from './generate-prisma.js';

const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error('usage: npm run migration:new -- <name>   (lowercase letters, digits and _)');
  process.exit(2);
}
execFileSync(process.execPath, [join(repoRoot, 'scripts', 'generate-prisma.js')], { stdio: 'inherit' });

const git = (...args: string[]) => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim();

/** prisma/schema.prisma as committed with the newest migration of this database. */
function schemaAtLastMigration(dialect: Dialect): string | undefined {
  const dir = relative(repoRoot, migrationsDir(dialect));
  if (loadMigrations(dialect).migrationDirectories.length === 0) return undefined;
  if (git('status', '--porcelain', '--', dir)) {
    throw new Error(`${dir} has uncommitted changes: commit the last migration with its schema change first`);
  }
  const commit = git('log', '-1', '--format=%H', '--', dir);
  const sqliteSchema = git('show', `${commit}:prisma/schema.prisma`);
  return dialect === 'sqlite' ? sqliteSchema : derivePostgresSchema(sqliteSchema);
}

const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
for (const dialect of ['sqlite', 'postgresql'] as Dialect[]) {
  const previous = schemaAtLastMigration(dialect);
  const current = readFileSync(schemaPath(dialect), 'utf8');
  // A schema-to-schema diff changes no database, but the engine connects to one at start.
  const factory =
    dialect === 'sqlite'
      ? new PrismaBetterSqlite3({ url: ':memory:' })
      : new PrismaPg(process.env.MIGRATION_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  const result = await withSchemaEngine(dialect, factory, (engine) =>
    engine.diff({
      from: previous === undefined ? { tag: 'empty' } : { tag: 'schemaDatamodel', files: [{ path: schemaPath(dialect), content: previous }] },
      to: { tag: 'schemaDatamodel', files: [{ path: schemaPath(dialect), content: current }] },
      script: true,
      exitCode: null,
      filters: noFilters,
    }),
  );
  const script = result.stdout ?? '';
  if (!script.trim() || /^-- This is an empty migration\.?\s*$/.test(script.trim())) {
    console.log(`${dialect}: no changes`);
    continue;
  }
  const dir = join(migrationsDir(dialect), `${stamp}_${name}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'migration.sql'), script);
  writeFileSync(join(migrationsDir(dialect), 'migration_lock.toml'), `# Written by scripts/new-migration.ts\nprovider = "${dialect}"\n`);
  console.log(`${dialect}: wrote ${relative(repoRoot, dir)}/migration.sql`);
}
