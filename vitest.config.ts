import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file gets its own databases; forks keep native drivers (better-sqlite3) isolated.
    pool: 'forks',
    // Vitest's default on 2 cores is one worker, but most test time is waiting (databases, disk
    // syncs, child processes): two workers took the suite from 1,223 s to 718 s at load 6-10.
    maxWorkers: 2,
  },
});
