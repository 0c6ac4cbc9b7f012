#!/usr/bin/env node
// Generates the two Prisma clients (SQLite and PostgreSQL) from the one model source,
// prisma/schema.prisma. A Prisma schema names one provider, so the PostgreSQL schema is
// derived from it here, never edited by hand.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'prisma', 'schema.prisma');
const derived = join(root, 'prisma', 'postgresql', 'schema.prisma');

export function derivePostgresSchema(text) {
  const out = text
    .replace(/provider\s*=\s*"sqlite"/, 'provider = "postgresql"')
    .replace('output       = "../src/generated/sqlite"', 'output       = "../../src/generated/postgres"');
  if (out === text || !out.includes('src/generated/postgres')) {
    throw new Error(`${source}: expected provider = "sqlite" and output "../src/generated/sqlite" to derive the PostgreSQL schema`);
  }
  return `// GENERATED from prisma/schema.prisma by scripts/generate-prisma.js. Do not edit.\n${out}`;
}

function generate(schemaPath) {
  // The CLI wants a schema-engine binary on every command, which it cannot download offline;
  // generate never runs it, so any existing file satisfies the check.
  const env = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath, PRISMA_HIDE_UPDATE_MESSAGE: '1' };
  execFileSync(process.execPath, [join(root, 'node_modules', 'prisma', 'build', 'index.js'), 'generate', '--schema', schemaPath], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  mkdirSync(dirname(derived), { recursive: true });
  writeFileSync(derived, derivePostgresSchema(readFileSync(source, 'utf8')));
  generate(source);
  generate(derived);
  console.log('parley: generated Prisma clients in src/generated/{sqlite,postgres}');
}
