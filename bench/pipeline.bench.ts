// npm run bench: inbound pipeline throughput and latency on SQLite and PostgreSQL, next to
// the raw insert rate of the same database in the same run. Figures are printed, not asserted.
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Parley } from '../src/runtime.ts';
import { type Dialect, freshDatabase } from '../test/support/databases.ts';
import { testParley } from '../test/support/parley.ts';

const THROUGHPUT_MESSAGES = Number(process.env.BENCH_MESSAGES ?? 20_000);
const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 2_000);
const LATENCY_RATE = 200;
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 10);

type TestDb = Awaited<ReturnType<typeof freshDatabase>>;

const phone = (i: number) => `+9891200${String(i).padStart(5, '0')}`;
const message = (run: string, i: number, customers: number) => ({
  channel: 'whatsapp',
  externalId: `${run}.${i}`,
  sender: { address: phone(i % customers), addressKind: 'phone' as const },
  text: `message ${i}: سلام، سفارش من کجاست؟`,
  raw: { id: `${run}.${i}` },
});

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Single-row inserts through the raw driver: each autocommitted, then all in one transaction. */
async function rawInsertRates(db: TestDb, rows: number): Promise<{ autocommit: number; oneTransaction: number }> {
  const ddl =
    'CREATE TABLE bench_raw (id TEXT PRIMARY KEY, channel TEXT NOT NULL, external_id TEXT NOT NULL, payload TEXT NOT NULL, UNIQUE (channel, external_id))';
  const payload = JSON.stringify(message('raw', 0, 1));
  if (db.dialect === 'sqlite') {
    const sqlite = new Database(db.url.replace(/^file:/, ''));
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    sqlite.exec(ddl);
    const insert = sqlite.prepare('INSERT INTO bench_raw VALUES (?, ?, ?, ?)');
    let start = performance.now();
    for (let i = 0; i < rows; i++) insert.run(`a${i}`, 'whatsapp', `a${i}`, payload);
    const autocommit = rows / ((performance.now() - start) / 1000);
    start = performance.now();
    sqlite.transaction(() => {
      for (let i = 0; i < rows; i++) insert.run(`b${i}`, 'whatsapp', `b${i}`, payload);
    })();
    const oneTransaction = rows / ((performance.now() - start) / 1000);
    sqlite.exec('DROP TABLE bench_raw');
    sqlite.close();
    return { autocommit, oneTransaction };
  }
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query(ddl);
  let start = performance.now();
  for (let i = 0; i < rows; i++) await client.query('INSERT INTO bench_raw VALUES ($1, $2, $3, $4)', [`a${i}`, 'whatsapp', `a${i}`, payload]);
  const autocommit = rows / ((performance.now() - start) / 1000);
  start = performance.now();
  await client.query('BEGIN');
  for (let i = 0; i < rows; i++) await client.query('INSERT INTO bench_raw VALUES ($1, $2, $3, $4)', [`b${i}`, 'whatsapp', `b${i}`, payload]);
  await client.query('COMMIT');
  const oneTransaction = rows / ((performance.now() - start) / 1000);
  await client.query('DROP TABLE bench_raw');
  await client.end();
  return { autocommit, oneTransaction };
}

/** Waits until the processor has committed `count` events. */
function handledCounter(parley: Parley, run: string) {
  const handledAt = new Map<string, number>();
  parley.processor.onCommitted((events) => {
    const now = performance.now();
    for (const e of events) if (e.externalId.startsWith(`${run}.`)) handledAt.set(e.externalId, now);
  });
  return {
    handledAt,
    async until(count: number, timeoutMs = 600_000) {
      const deadline = Date.now() + timeoutMs;
      while (handledAt.size < count) {
        if (Date.now() > deadline) throw new Error(`only ${handledAt.size} of ${count} handled`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
  };
}

async function throughput(parley: Parley): Promise<{ perSecond: number; seconds: number }> {
  const run = 'tp';
  const counter = handledCounter(parley, run);
  const start = performance.now();
  // Webhook-like arrival: many requests in flight, each awaiting its durable accept.
  const inFlight = 500;
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < THROUGHPUT_MESSAGES) {
        const i = next++;
        await parley.inbox.accept(message(run, i, CUSTOMERS));
      }
    }),
  );
  await counter.until(THROUGHPUT_MESSAGES);
  const seconds = (performance.now() - start) / 1000;
  return { perSecond: THROUGHPUT_MESSAGES / seconds, seconds };
}

async function latency(parley: Parley): Promise<{ p50: number; p99: number; max: number; acceptP99: number }> {
  const run = 'lat';
  const counter = handledCounter(parley, run);
  const total = LATENCY_RATE * LATENCY_SECONDS;
  const sentAt = new Map<string, number>();
  const acceptMs: number[] = [];
  const start = performance.now();
  const accepts: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / LATENCY_RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const m = message(run, i, 200);
    const t0 = performance.now();
    sentAt.set(m.externalId, t0);
    accepts.push(parley.inbox.accept(m).then(() => acceptMs.push(performance.now() - t0)));
  }
  await Promise.all(accepts);
  await counter.until(total);
  const latencies = [...sentAt].map(([id, t]) => (counter.handledAt.get(id) as number) - t).sort((a, b) => a - b);
  acceptMs.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? Number.NaN, acceptP99: percentile(acceptMs, 99) };
}

async function benchDialect(dialect: Dialect) {
  const db = await freshDatabase(dialect);
  try {
    const raw = await rawInsertRates(db, dialect === 'sqlite' ? 5_000 : 2_000);
    const parley = await testParley(db, {
      env: {
        PARLEY_POLL_INTERVAL: '50ms',
        ...(process.env.PARLEY_WORKER_CONCURRENCY ? { PARLEY_WORKER_CONCURRENCY: process.env.PARLEY_WORKER_CONCURRENCY } : {}),
        ...(process.env.PARLEY_BATCH_SIZE ? { PARLEY_BATCH_SIZE: process.env.PARLEY_BATCH_SIZE } : {}),
      },
    });
    await parley.startChannels();
    parley.processor.start();
    const tp = await throughput(parley);
    const lat = await latency(parley);
    await parley.stop();
    const rss = process.memoryUsage().rss / 1024 / 1024;
    return { dialect, raw, tp, lat, rss };
  } finally {
    await db.dispose();
  }
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

console.log(
  `Parley inbound pipeline benchmark (node ${process.version}, ${THROUGHPUT_MESSAGES} messages from ${CUSTOMERS} customers; latency at ${LATENCY_RATE} msg/s for ${LATENCY_SECONDS}s)`,
);
console.log(
  'Pipeline = durable accept (group commit) -> normalize address -> customer -> conversation -> message -> handler -> reply message + outbox row, one transaction per batch.\n',
);
for (const dialect of (process.env.BENCH_DIALECTS?.split(',') as Dialect[] | undefined) ?? (['sqlite', 'postgresql'] as Dialect[])) {
  const r = await benchDialect(dialect);
  const target = dialect === 'sqlite' ? 2000 : 1000;
  console.log(`== ${dialect}`);
  console.log(`  raw driver insert, autocommit per row : ${fmt(r.raw.autocommit)} rows/s`);
  console.log(`  raw driver insert, one transaction    : ${fmt(r.raw.oneTransaction)} rows/s`);
  console.log(`  pipeline throughput                   : ${fmt(r.tp.perSecond)} messages/s (${fmt(r.tp.seconds, 1)} s; target >= ${target})`);
  console.log(`  ratio pipeline / raw autocommit insert: ${fmt(r.tp.perSecond / r.raw.autocommit, 2)}`);
  console.log(`  ratio pipeline / raw one-transaction  : ${fmt(r.tp.perSecond / r.raw.oneTransaction, 3)}`);
  console.log(
    `  latency accept->handled at ${LATENCY_RATE}/s     : p50 ${fmt(r.lat.p50, 1)} ms, p99 ${fmt(r.lat.p99, 1)} ms, max ${fmt(r.lat.max, 1)} ms (target p99 < 20)`,
  );
  console.log(`  accept (durable ack) p99              : ${fmt(r.lat.acceptP99, 1)} ms`);
  console.log(`  process RSS after run                 : ${fmt(r.rss)} MiB\n`);
}
