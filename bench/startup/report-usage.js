// Loaded with `node --import` into a process the start-up benchmark runs: writes the process's
// own CPU time (user + system, since it began) and resident memory to PARLEY_BENCH_USAGE_FILE,
// at exit and whenever it gets SIGUSR2 (a server that keeps running).
import { writeFileSync } from 'node:fs';

const file = process.env.PARLEY_BENCH_USAGE_FILE;
if (file) {
  const report = () => {
    const { user, system } = process.cpuUsage();
    writeFileSync(file, JSON.stringify({ cpuMs: (user + system) / 1000, rssBytes: process.memoryUsage.rss() }));
  };
  process.on('exit', report);
  process.on('SIGUSR2', report);
}
