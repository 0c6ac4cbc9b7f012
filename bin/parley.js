#!/usr/bin/env node
// Runs the compiled command line in dist/ (scripts/build.js). `npm ci` builds it; when a
// source file changed since (a pull, an edit), it is rebuilt here first, in well under a second,
// so what runs is always what the sources say.
import { build, entryFile, staleReason } from '../scripts/build.js';

const stale = staleReason();
if (stale) {
  try {
    await build();
  } catch (error) {
    process.stderr.write(`parley: cannot build dist/ (${stale}): ${error.message}\n`);
    process.exit(1);
  }
}
// Stack traces name the TypeScript sources only when asked for: mapping them costs start-up time.
if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);
await import(entryFile);
