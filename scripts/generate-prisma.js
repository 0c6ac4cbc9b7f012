#!/usr/bin/env node
// Generates the two Prisma clients (SQLite and PostgreSQL) from the one model source,
// prisma/schema.prisma. A Prisma schema names one provider, so the PostgreSQL schema is
// derived from it here, never edited by hand.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'prisma', 'schema.prisma');
const derived = join(root, 'prisma', 'postgresql', 'schema.prisma');

export function derivePostgresSchema(text) {
  const out = text
    .replace(/provider\s*=\s*"sqlite"/, 'provider = "postgresql"')
    .replace(/output(\s*)=\s*"\.\.\/src\/generated\/sqlite"/, 'output$1= "../../src/generated/postgres"');
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

/**
 * The generated client imports Prisma's query compiler as a module holding the WebAssembly as
 * a base64 string (4.4 MB), and a module stays loaded: the string and the module's source text
 * stayed in the heap for the life of the process (8.8 MB). The .wasm is written beside the
 * client instead and read from disk when the client starts; the bytes are garbage afterwards.
 */
const WASM_IMPORT =
  /const \{ wasm \} = await import\("(@prisma\/client\/runtime\/query_compiler_\w+_bg\.\w+\.wasm-base64\.mjs)"\)\n\s*return await decodeBase64AsWasm\(wasm\)/;

export function loadWasmFromFile(clientDir, dirName) {
  const classFile = join(clientDir, 'internal', 'class.ts');
  const text = readFileSync(classFile, 'utf8');
  const match = WASM_IMPORT.exec(text);
  if (!match) throw new Error(`${classFile}: the query compiler import changed (Prisma upgrade?); update WASM_IMPORT in scripts/generate-prisma.js`);
  const base64Module = createRequire(import.meta.url).resolve(match[1].replace(/\.mjs$/, '.js'));
  const { wasm } = createRequire(import.meta.url)(base64Module);
  writeFileSync(join(clientDir, 'query-compiler.wasm'), Buffer.from(wasm, 'base64'));
  const reader = `// scripts/generate-prisma.js: read from src/generated/${dirName}/query-compiler.wasm (see loadWasmFromFile there)
    const { readFileSync, existsSync } = await import('node:fs')
    const { dirname, join } = await import('node:path')
    const { fileURLToPath } = await import('node:url')
    // Up to the package root: this code runs from src/generated/ and, bundled, from dist/chunks/.
    let dir = dirname(fileURLToPath(import.meta.url))
    while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir)
    return new WebAssembly.Module(readFileSync(join(dir, 'src', 'generated', '${dirName}', 'query-compiler.wasm')))`;
  writeFileSync(classFile, text.replace(WASM_IMPORT, reader));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  mkdirSync(dirname(derived), { recursive: true });
  writeFileSync(derived, derivePostgresSchema(readFileSync(source, 'utf8')));
  generate(source);
  generate(derived);
  loadWasmFromFile(join(root, 'src', 'generated', 'sqlite'), 'sqlite');
  loadWasmFromFile(join(root, 'src', 'generated', 'postgres'), 'postgres');
  console.log('parley: generated Prisma clients in src/generated/{sqlite,postgres}');
}
