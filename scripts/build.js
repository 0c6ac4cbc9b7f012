#!/usr/bin/env node
// Compiles the `parley` command line (src/cli/main.ts and everything it imports, the generated
// Prisma clients included) into dist/ with esbuild: one entry file plus a chunk per
// dynamically imported command, so a command loads only its own code. Packages stay in
// node_modules (not bundled). `npm ci` runs this after the Prisma generate (postinstall), and
// bin/parley.js runs it again when a source file changed since (it takes well under a second).
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const distDir = join(root, 'dist');
export const entryFile = join(distDir, 'parley.js');
/** What the last build read, and when it started: a source newer than that means a rebuild. */
const stampFile = join(distDir, 'build-stamp.json');

/** Why dist/ must be rebuilt, or undefined when it is up to date. */
export function staleReason() {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(stampFile, 'utf8'));
  } catch {
    return 'dist/ has not been built';
  }
  if (!existsSync(entryFile)) return 'dist/parley.js is missing';
  for (const input of stamp.inputs) {
    let modified;
    try {
      modified = statSync(join(root, input)).mtimeMs;
    } catch {
      return `${input} is gone`;
    }
    if (modified > stamp.startedAt) return `${input} changed`;
  }
  return undefined;
}

/**
 * esbuild's options for dist/ (test/cli.lazy.test.ts builds with them too, to check what each command loads).
 * @type {import('esbuild').BuildOptions & { metafile: true }}
 */
export const bundleOptions = {
  absWorkingDir: root,
  entryPoints: { parley: 'src/cli/main.ts' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  outdir: distDir,
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
};

/** Builds dist/; every file is written whole under a temporary name and renamed, so a process starting meanwhile never reads half a file. */
export async function build() {
  const { build: esbuild } = await import('esbuild');
  const startedAt = Date.now();
  const result = await esbuild({ ...bundleOptions, write: false });
  const written = new Set();
  // Chunks first, the entry last: a process that reads the new entry finds its chunks.
  const files = [...result.outputFiles].sort((a, b) => Number(a.path === entryFile) - Number(b.path === entryFile));
  for (const file of files) {
    mkdirSync(dirname(file.path), { recursive: true });
    const temporary = `${file.path}.${process.pid}.tmp`;
    writeFileSync(temporary, file.contents);
    renameSync(temporary, file.path);
    written.add(file.path);
  }
  removeOldChunks(written);
  const inputs = Object.keys(result.metafile.inputs).filter((input) => !input.startsWith('node_modules/'));
  const stamp = `${JSON.stringify({ startedAt, inputs }, null, 1)}\n`;
  writeFileSync(`${stampFile}.${process.pid}.tmp`, stamp);
  renameSync(`${stampFile}.${process.pid}.tmp`, stampFile);
  return { files: written.size, inputs: inputs.length, ms: Date.now() - startedAt };
}

/**
 * Chunks of earlier builds go once no process can still want them: a running `parley start`
 * imports some of its chunks only when first needed, so a chunk stays a day after it was last built.
 */
function removeOldChunks(keep) {
  const chunks = join(distDir, 'chunks');
  if (!existsSync(chunks)) return;
  const dayAgo = Date.now() - 24 * 60 * 60 * 1000;
  for (const name of readdirSync(chunks)) {
    const path = join(chunks, name);
    if (keep.has(path)) continue;
    try {
      if (statSync(path).mtimeMs < dayAgo) rmSync(path, { force: true });
    } catch {
      // removed meanwhile by another build
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { files, inputs, ms } = await build();
  console.log(`parley: built ${relative(root, entryFile)} (${files} files from ${inputs} sources) in ${ms} ms`);
}
