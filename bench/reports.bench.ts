// npm run bench:reports: a 90-day report (buildReport: the API, `parley report`, Studio) over a
// database holding BENCH_REPORT_CUSTOMERS (100,000) customers active in those 90 days, on SQLite
// and PostgreSQL: wall time, CPU, heap growth and the longest the event loop was held (a
// webhook's acknowledgement waits that long in a server running the report). Figures are
// printed, not asserted. It leaves out HTTP and the formatting of the answer.
import { loadavg } from 'node:os';
import { buildReport } from '../src/routing/reports.ts';
import { type Dialect, freshDatabase } from '../test/support/databases.ts';
import { seedReportHistory } from './reports/history.ts';

const CUSTOMERS = Number(process.env.BENCH_REPORT_CUSTOMERS ?? 100_000);
const RUNS = Number(process.env.BENCH_REPORT_RUNS ?? 3);
const dialects = (process.env.BENCH_DIALECTS ?? 'sqlite,postgresql').split(',').filter(Boolean) as Dialect[];
const signed = (n: number) => `${n >= 0 ? '+' : ''}${fmt(n)}`;
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The longest gap between ticks of a 5 ms timer while `work` runs: how long the event loop was held. */
async function longestStall<T>(work: () => Promise<T>): Promise<{ result: T; stallMs: number }> {
  let last = performance.now();
  let longest = 0;
  const tick = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  };
  const timer = setInterval(tick, 5);
  try {
    const result = await work();
    tick();
    return { result, stallMs: longest };
  } finally {
    clearInterval(timer);
  }
}

console.log(`Parley reports benchmark (node ${process.version}): 90 days, ${fmt(CUSTOMERS)} active customers, ${RUNS} runs per database\n`);
for (const dialect of dialects) {
  const db = await freshDatabase(dialect);
  try {
    const seeded = await seedReportHistory(db, CUSTOMERS);
    console.log(`${dialect}: ${fmt(seeded.rows)} rows written in ${fmt(seeded.seconds, 1)} s`);
    const until = new Date();
    const since = new Date(until.getTime() - 90 * 86_400_000);
    for (let run = 1; run <= RUNS; run++) {
      const heap = process.memoryUsage().heapUsed;
      const cpu = process.cpuUsage();
      const started = performance.now();
      const { result, stallMs } = await longestStall(() => buildReport(db, since, until, { timeZone: 'Asia/Tehran' }));
      const wall = performance.now() - started;
      const used = process.cpuUsage(cpu);
      const bands = Object.values(result.churnBands).reduce((sum, band) => sum + band.customers, 0);
      console.log(
        `  run ${run}: ${fmt(wall)} ms wall, ${fmt((used.user + used.system) / 1000)} ms CPU, heap ${signed((process.memoryUsage().heapUsed - heap) / 2 ** 20)} MiB, event loop held at most ${fmt(stallMs)} ms; ${fmt(bands)} customers banded, load ${fmt(loadavg()[0] as number, 2)}`,
      );
    }
  } finally {
    await db.dispose();
  }
}
