import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bindMigrationAwareSqlAdapterFactory, type SqlDriverAdapter, type SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { MigrationList, SchemaEngine } from '@prisma/schema-engine-wasm';
import type { Dialect } from './database.ts';
import { packageRoot } from '../package-root.ts';

/**
 * Prisma's own schema engine, compiled to WebAssembly, driven through a driver adapter: it
 * needs no native binary and no download, so migrations run offline on both databases.
 */

export const repoRoot = packageRoot(import.meta.url);
export const schemaPath = (dialect: Dialect) => join(repoRoot, 'prisma', ...(dialect === 'sqlite' ? [] : ['postgresql']), 'schema.prisma');
export const migrationsDir = (dialect: Dialect) => join(repoRoot, 'prisma', 'migrations', dialect);

type EngineModule = typeof import('@prisma/schema-engine-wasm');
let engineModule: Promise<EngineModule> | undefined;

/** Loads and instantiates the engine once per process (it takes 150-300 ms). */
function loadEngineModule(): Promise<EngineModule> {
  engineModule ??= (async () => {
    const glueUrl = import.meta.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const glue = (await import(glueUrl)) as EngineModule & { __wbg_set_wasm(exports: WebAssembly.Exports): void };
    const wasm = await WebAssembly.compile(readFileSync(fileURLToPath(glueUrl.replace(/\.js$/, '.wasm'))));
    const instance = await WebAssembly.instantiate(wasm, { './schema_engine_bg.js': glue as unknown as WebAssembly.ModuleImports });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue;
  })();
  return engineModule;
}

/** Keeps every connection the engine opens, so they can be closed (SQLite stays locked otherwise). */
function trackConnections(factory: SqlMigrationAwareDriverAdapterFactory) {
  const opened: SqlDriverAdapter[] = [];
  const track = async (connect: () => Promise<SqlDriverAdapter>) => {
    const adapter = await connect();
    // The engine disposes some connections itself (the PostgreSQL shadow database drops on
    // dispose): a second dispose must do nothing.
    const dispose = adapter.dispose.bind(adapter);
    let disposed: Promise<void> | undefined;
    adapter.dispose = () => {
      disposed ??= dispose();
      return disposed;
    };
    opened.push(adapter);
    return adapter;
  };
  const tracked: SqlMigrationAwareDriverAdapterFactory = {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: () => track(() => factory.connect()),
    connectToShadowDb: () => track(() => factory.connectToShadowDb()),
  };
  return { tracked, dispose: () => Promise.all(opened.splice(0).map((a) => a.dispose())) };
}

/** Runs fn with an engine bound to the database behind `factory`, and closes all it opened. */
export async function withSchemaEngine<T>(
  dialect: Dialect,
  factory: SqlMigrationAwareDriverAdapterFactory,
  fn: (engine: SchemaEngine) => Promise<T>,
  log: (line: string) => void = () => {},
): Promise<T> {
  const module = await loadEngineModule();
  const schema = schemaPath(dialect);
  if (!existsSync(schema)) throw new Error(`${schema} is missing: run \`npm run generate\` (npm ci does it)`);
  const { tracked, dispose } = trackConnections(factory);
  const engine = await module.SchemaEngine.new(
    { datamodels: [[schema, readFileSync(schema, 'utf8')]] },
    (message: string) => log(message),
    bindMigrationAwareSqlAdapterFactory(tracked),
  );
  try {
    return await fn(engine);
  } finally {
    engine.free();
    await dispose();
  }
}

/** The migrations directory of a database, loaded as the engine wants it. */
export function loadMigrations(dialect: Dialect): MigrationList {
  const baseDir = migrationsDir(dialect);
  const lockPath = join(baseDir, 'migration_lock.toml');
  const directories = existsSync(baseDir)
    ? readdirSync(baseDir, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort()
    : [];
  return {
    baseDir,
    lockfile: { path: 'migration_lock.toml', content: existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : null },
    shadowDbInitScript: '',
    migrationDirectories: directories.map((path) => {
      const file = join(baseDir, path, 'migration.sql');
      return {
        path,
        migrationFile: {
          path: 'migration.sql',
          content: existsSync(file) ? { tag: 'ok', value: readFileSync(file, 'utf8') } : { tag: 'error', value: `${file} is missing` },
        },
      };
    }),
  };
}

export const noFilters = { externalTables: [], externalEnums: [] };
