import { readFileSync } from 'node:fs';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { afterEach, describe, expect, it } from 'vitest';
import { numberSeries } from '../src/db/sql.ts';
import { noFilters, schemaPath, withSchemaEngine } from '../src/db/schema-engine.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';

/**
 * Migrations are written by several people in parallel: this checks that applying all of them
 * gives exactly the database the schema describes (columns, types, nullability, indexes).
 */
/**
 * Indexes a migration creates by hand because the schema cannot declare them (expression
 * indexes): they must exist after migrating, and are left out of the comparison.
 */
const HAND_WRITTEN_INDEXES = ['Customer_mergedIntoId_idx', 'Customer_attributes_email_idx', 'Customer_attributes_phone_idx', 'Customer_attributes_mobile_idx'];
const handWritten = (line: string) => HAND_WRITTEN_INDEXES.find((name) => line.includes(`"${name}"`) || line.startsWith(`${name} `));

async function shape(db: TestDatabase): Promise<string[]> {
  if (db.dialect === 'sqlite') {
    const rows = await db.prisma.$queryRawUnsafe<{ t: string; name: string; type: string; notnull: number; dflt: string | null; pk: number }[]>(
      `SELECT m.name AS t, p.name, p.type, p."notnull", p.dflt_value AS dflt, p.pk FROM sqlite_master m, pragma_table_info(m.name) p
       WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_prisma_migrations'`,
    );
    const indexes = await db.prisma.$queryRawUnsafe<{ name: string }[]>(
      `SELECT name || ' ' || replace(sql, char(10), ' ') AS name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL`,
    );
    return [...rows.map((r) => `${r.t}.${r.name} ${r.type} notnull=${r.notnull} default=${r.dflt} pk=${r.pk}`), ...indexes.map((i) => i.name)].sort();
  }
  const rows = await db.prisma.$queryRawUnsafe<{ line: string }[]>(
    `SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS line
     FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`,
  );
  const indexes = await db.prisma.$queryRawUnsafe<{ line: string }[]>(
    `SELECT indexdef AS line FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`,
  );
  return [...rows, ...indexes].map((r) => r.line).sort();
}

describe.each(dialects)('migrations on %s', (dialect) => {
  const opened: TestDatabase[] = [];
  afterEach(async () => {
    for (const db of opened.splice(0)) await db.dispose();
  });

  it('produce exactly the schema in prisma/schema.prisma', async () => {
    const migrated = await freshDatabase(dialect);
    opened.push(migrated);
    const pushed = await freshDatabase(dialect);
    opened.push(pushed);
    // Empty the second one and create it straight from the schema instead.
    const tables = await shape(pushed);
    expect(tables.length).toBeGreaterThan(0);
    const factory = dialect === 'sqlite' ? new PrismaBetterSqlite3({ url: ':memory:' }) : new PrismaPg(pushed.url);
    const script = await withSchemaEngine(dialect, factory, (engine) =>
      engine.diff({
        from: { tag: 'empty' },
        to: { tag: 'schemaDatamodel', files: [{ path: schemaPath(dialect), content: readFileSync(schemaPath(dialect), 'utf8') }] },
        script: true,
        exitCode: null,
        filters: noFilters,
      }),
    );
    const names = (await shape(migrated)).filter((l) => !l.startsWith('CREATE') && !/ (INDEX|index) /.test(l)).map((l) => l.split('.')[0]);
    const drop = [...new Set(names)].map((t) => `DROP TABLE IF EXISTS "${t}"${dialect === 'postgresql' ? ' CASCADE' : ''};`);
    if (dialect === 'postgresql') {
      await pushed.prisma.$executeRawUnsafe('DROP SCHEMA public CASCADE');
      await pushed.prisma.$executeRawUnsafe('CREATE SCHEMA public');
      for (const statement of (script.stdout ?? '').split(/;\s*\n/).filter((s) => s.trim() && !/^\s*--[^\n]*$/.test(s.trim()))) {
        await pushed.prisma.$executeRawUnsafe(statement);
      }
    } else {
      await pushed.prisma.$executeRawUnsafe('PRAGMA foreign_keys = OFF');
      for (const d of drop) await pushed.prisma.$executeRawUnsafe(d);
      for (const statement of (script.stdout ?? '').split(/;\s*\n/).filter((s) => s.replace(/--[^\n]*\n?/g, '').trim())) {
        await pushed.prisma.$executeRawUnsafe(statement);
      }
    }
    const migratedShape = await shape(migrated);
    expect(HAND_WRITTEN_INDEXES.filter((name) => !migratedShape.some((line) => handWritten(line) === name))).toEqual([]);
    expect(migratedShape.filter((line) => !handWritten(line))).toEqual(await shape(pushed));
  }, 60_000);

  it('keeps tombstones alone in the mergedIntoId index: pages of live customers go by id, a tombstone lookup by the index', async () => {
    const db = await freshDatabase(dialect);
    opened.push(db);
    // 2,000 customers, 20 of them merged away; PostgreSQL plans with statistics, SQLite has none (Parley never runs ANALYZE).
    const numbers = numberSeries(dialect, 2000);
    await db.prisma.$executeRawUnsafe(
      `${numbers} INSERT INTO "Customer" ("id", "attributes", "tags", "updatedAt", "mergedIntoId") SELECT 'c' || i, '{}', '[]', '2026-01-01', CASE WHEN i % 100 = 0 THEN 'c1' END FROM n`,
    );
    if (dialect === 'postgresql') await db.prisma.$executeRawUnsafe('ANALYZE "Customer"');
    const explain = async (query: string) => {
      if (dialect === 'sqlite') return (await db.prisma.$queryRawUnsafe<{ detail: string }[]>(`EXPLAIN QUERY PLAN ${query}`)).map((r) => r.detail).join('\n');
      return (await db.prisma.$queryRawUnsafe<{ 'QUERY PLAN': string }[]>(`EXPLAIN ${query}`)).map((r) => r['QUERY PLAN']).join('\n');
    };
    // The lifecycle and inactivity sweeps' page.
    const page = await explain(`SELECT "id" FROM "Customer" WHERE "mergedIntoId" IS NULL AND "id" > 'c500' ORDER BY "id" LIMIT 500`);
    expect(page).not.toContain('Customer_mergedIntoId_idx');
    expect(page).toMatch(dialect === 'sqlite' ? /SEARCH Customer USING INDEX sqlite_autoindex_Customer_1 \(id>\?\)/ : /Index Scan (using|on) "Customer_pkey"/);
    expect(await explain(`SELECT "id" FROM "Customer" WHERE "mergedIntoId" = 'c1'`)).toContain('Customer_mergedIntoId_idx');
  });
});
