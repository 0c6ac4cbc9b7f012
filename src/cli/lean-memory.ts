import { setFlagsFromString } from 'node:v8';

/**
 * V8 settings that keep a command's resident memory small, applied at run time (Node lets
 * flags change after start-up) so that `parley` needs no wrapper process or NODE_OPTIONS.
 * Measured on `parley start` at rest (README, Benchmarks): see the notes on each.
 */

/**
 * Prisma's query compiler is WebAssembly (about 3 MB). By default V8 recompiles its hot
 * functions with TurboFan on background threads; that work left 50-70 MB in the threads'
 * malloc arenas, which glibc does not give back. Liftoff's code is enough: Prisma caches its
 * query plans, so the compiler runs once per query shape (measured: the same CPU per warm
 * query, a quarter of the CPU for the first ones).
 */
export function compileWasmWithoutTierUp(): void {
  setFlagsFromString('--liftoff-only');
}

/** V8's default growth factor of the young generation (Node 20). */
const DEFAULT_SEMI_SPACE_GROWTH = 2;

/**
 * Runs `work` (start-up: loading modules, flows, the HTTP server) without growing the young
 * generation. Start-up keeps most of what it allocates, which makes V8 grow the young
 * generation to its maximum (2 x 16 MB), and it is not shrunk again while the process idles.
 * Afterwards it grows as usual under load. A growth factor set by the user is left alone.
 */
export async function withoutYoungGenerationGrowth<T>(work: () => Promise<T>): Promise<T> {
  const userSet = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((arg) => /semi[-_]space/.test(arg));
  if (userSet) return work();
  setFlagsFromString('--semi-space-growth-factor=1');
  try {
    return await work();
  } finally {
    setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_SEMI_SPACE_GROWTH}`);
  }
}
