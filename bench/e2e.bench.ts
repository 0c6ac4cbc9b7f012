// npm run bench:e2e: Parley driven from outside as production drives it. Real `parley start`
// processes (bin/parley.js) get signed WhatsApp Cloud API webhooks over HTTP at paced offered
// rates; the shipped flows (welcome) answer; replies go over HTTP to a fake Graph API on
// 127.0.0.1 that counts duplicates. In the same run, at the same rates, a minimal durable
// receiver (bench/e2e/baseline-receiver.ts) is the baseline: the machine is shared, so the
// ratio and the load average are what compare between runs. Figures are printed, not asserted.
//
// BENCH_E2E_RATES=200,500   offered webhooks/s (default 200,500,1000,2000)
// BENCH_E2E_SECONDS=10      length of each load window
// BENCH_E2E_CONFIGS=sqlite,postgresql:1,postgresql:2
// BENCH_E2E_SETTLE_SECONDS  how long to wait for the replies of a window (default 120)
// BENCH_CPU_PROF=dir        Parley runs with --cpu-prof, profiles written there
// BENCH_PARLEY_NODE_OPTIONS  NODE_OPTIONS for Parley's processes (a tuning to measure, e.g. --max-semi-space-size=32)
// BENCH_E2E_HISTORY=100000  start on a database already holding this many past customers with
//                           their conversations (bench/e2e/history.ts), as a running installation
//                           does: a cost that grows with a table shows (default 0, an empty database)
// BENCH_E2E_RETURNING=1     the load's customers are past customers too (the same history each), back
//                           after 1-80 days: their conversations are found, reopened or started anew,
//                           the welcome flow greets them by name (default: every customer is new)
import { type ChildProcess, execSync, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { emptyDatabase } from '../scripts/chaos/database.ts';
import { graphDialect } from '../scripts/chaos/fake-graph.ts';
import { DeliveryLedger, FakeProvider } from '../scripts/chaos/fake-provider.ts';
import { ParleySupervisor } from '../scripts/chaos/supervisor.ts';
import { PHONE_NUMBER_ID, phoneOf } from '../scripts/chaos/webhooks.ts';
import { type Database, type Dialect, openDatabase } from '../src/db/database.ts';
import type { LoadOrder, LoadResult } from './e2e/paced-load.ts';
import { commandCpuMs, listenOverflows, machineCpuMs, treeCpuMs } from './e2e/process-cpu.ts';
import { historyCustomers, type PastCustomers, seedHistory } from './e2e/history.ts';
import type { ConversationShape } from './e2e/welcome-conversations.ts';
import { pendingEventCount, unsentItemCount } from '../src/pipeline/queue-rows.ts';

const RATES = (process.env.BENCH_E2E_RATES ?? '200,500,1000,2000').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_E2E_SECONDS ?? 10);
const SETTLE_SECONDS = Number(process.env.BENCH_E2E_SETTLE_SECONDS ?? 120);
const CONFIGS = (process.env.BENCH_E2E_CONFIGS ?? 'sqlite,postgresql:1,postgresql:2').split(',').map((text) => {
  const [dialect, processes] = text.split(':');
  return { dialect: dialect as Dialect, processes: Number(processes ?? 1) };
});
/** Messages per customer: the welcome flow's first message, the name, the choice. */
const MESSAGES_PER_CUSTOMER = 3;
const HISTORY = Number(process.env.BENCH_E2E_HISTORY ?? 0);
const RETURNING = process.env.BENCH_E2E_RETURNING === '1';
const ACK_TIMEOUT_MS = 30_000;
const APP_SECRET = 'e2e-app-secret';
const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${resolve(process.env.BENCH_CPU_PROF)}`] : [];
const root = resolve(import.meta.dirname, '..');
const runner = join(root, 'bin/run-ts.js');

function parleyEnv(dir: string, databaseUrl: string, graphUrl: string): Record<string, string> {
  const inherited = Object.fromEntries(['PATH', 'HOME', 'TMPDIR', 'LANG'].flatMap((name) => (process.env[name] ? [[name, process.env[name] as string]] : [])));
  return {
    ...inherited,
    DATABASE_URL: databaseUrl,
    PARLEY_DATA_DIR: join(dir, 'data'),
    PARLEY_FLOWS_DIR: join(root, 'flows'),
    PARLEY_DEFAULT_REGION: 'IR',
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'warn',
    ...(process.env.BENCH_PARLEY_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_PARLEY_NODE_OPTIONS } : {}),
    WHATSAPP_ACCESS_TOKEN: 'e2e-token',
    WHATSAPP_PHONE_NUMBER_ID: PHONE_NUMBER_ID,
    WHATSAPP_APP_SECRET: APP_SECRET,
    WHATSAPP_VERIFY_TOKEN: 'e2e-verify',
    WHATSAPP_GRAPH_URL: graphUrl,
    // Parley's own capacity is measured, not Meta's 80/s default nor its per-recipient pace.
    PARLEY_RATE_LIMITS: 'whatsapp=100000/s;whatsapp:recipient=1000/s',
  };
}

interface Window {
  readonly load: LoadResult;
  readonly cpuMs: number;
}

/** Cores in use on average from the start of a window until its replies were all sent: the whole machine, Parley, PostgreSQL. */
interface CoreUse {
  readonly machine: number;
  readonly parley: number;
  readonly postgres: number;
}

/** Runs one paced load window from a fresh load process against `baseUrl`. */
async function loadWindow(order: LoadOrder, cpuOf: () => number): Promise<Window> {
  const child = fork(runner, [join(root, 'bench/e2e/paced-load.ts')], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    await new Promise<void>((ready) => child.once('message', () => ready()));
    const cpuBefore = cpuOf();
    const result = new Promise<LoadResult>((done) => child.once('message', (m) => done(m as LoadResult)));
    child.send(order);
    const load = await result;
    return { load, cpuMs: cpuOf() - cpuBefore };
  } finally {
    await stop(child);
  }
}

function stop(child: ChildProcess, message?: string): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    child.once('exit', () => done());
    if (message) child.send(message);
    else child.kill();
  });
}

async function baselineWindow(dir: string, rate: number, conversations: ConversationShape): Promise<Window> {
  const file = join(dir, `baseline-${rate}.db`);
  const receiver = fork(runner, [join(root, 'bench/e2e/baseline-receiver.ts'), file, APP_SECRET], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((listening) => receiver.once('message', (m) => listening((m as { port: number }).port)));
  const pid = receiver.pid as number;
  try {
    const order = { baseUrl: `http://127.0.0.1:${port}`, rate, seconds: SECONDS, appSecret: APP_SECRET, conversations, timeoutMs: ACK_TIMEOUT_MS };
    return await loadWindow(order, () => treeCpuMs([pid]));
  } finally {
    await stop(receiver, 'stop');
  }
}

/** Waits until every stored message is handled and every reply sent (or failed), at most SETTLE_SECONDS. */
async function settled(db: Database): Promise<boolean> {
  const by = Date.now() + SETTLE_SECONDS * 1000;
  while (Date.now() < by) {
    const [inbound, outbound] = await Promise.all([
      // Through the queues' partial indexes, as Parley counts them: a count by a parameter would scan the history.
      pendingEventCount(db),
      unsentItemCount(db),
    ]);
    if (inbound === 0 && outbound === 0) return true;
    await sleep(250);
  }
  return false;
}

interface Row {
  readonly rate: number;
  readonly baseline: Window;
  readonly parley: Window;
  readonly replies: number;
  readonly lastReplyAt: number;
  readonly duplicates: number;
  readonly settled: boolean;
  readonly cores: CoreUse;
  readonly load: readonly number[];
  /** Connections the kernel dropped during the window because an accept queue was full (machine-wide: Parley's or the fake Graph API's). */
  readonly droppedSyns: number;
}

/** Customers of a window (offset 0: the baseline's, 1: Parley's). Each window's are new to the others. */
function windowConversations(index: number, rate: number, offset: number): ConversationShape {
  const customers = Math.max(1, Math.ceil((rate * SECONDS) / MESSAGES_PER_CUSTOMER));
  return { firstCustomer: (index * 2 + offset) * 200_000, customers, runId: `${rate}` };
}

/** Each process gets its own customers, as a load balancer hashing on the sender would give. */
function processConversations(window: ConversationShape, process: number, processes: number): ConversationShape {
  return { ...window, firstCustomer: window.firstCustomer + process * 100_000, customers: Math.ceil(window.customers / processes) };
}

/** BENCH_E2E_RETURNING: Parley's customers of every window as past customers (numbers as phoneOf gives them). */
function returningCustomers(processes: number): (PastCustomers & { readonly firstCustomer: number })[] {
  return RATES.flatMap((rate, index) =>
    Array.from({ length: processes }, (_, process) => {
      const { firstCustomer, customers } = processConversations(windowConversations(index, rate, 1), process, processes);
      // phoneOf's numbers: 98912 and the last 7 digits of 1,000,000 + the customer number.
      return { count: customers, prefix: `r${index}p${process}`, phone: (i: string) => `'+98912' || (${1_000_000 + firstCustomer - 1} + ${i})`, firstCustomer };
    }),
  );
}

async function benchConfig(dialect: Dialect, processes: number): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), `parley-e2e-${dialect}-`));
  mkdirSync(join(dir, 'data'));
  const ledger = new DeliveryLedger();
  const graph = new FakeProvider(graphDialect(PHONE_NUMBER_ID), ledger, 1);
  const graphUrl = await graph.listen();
  const database = await emptyDatabase(dialect, dir, `e2e_${Date.now().toString(36)}`);
  const supervisor = new ParleySupervisor(parleyEnv(dir, database.url, graphUrl), dir, profile);
  let db: Database | undefined;
  const rows: Row[] = [];
  let finished = false;
  try {
    if (HISTORY > 0 || RETURNING) {
      const seeding = await openDatabase(database.url);
      try {
        const returning = RETURNING ? returningCustomers(processes) : [];
        const past = [...(HISTORY > 0 ? [historyCustomers(HISTORY)] : []), ...returning];
        let rows = 0;
        let seconds = 0;
        for (const customers of past) {
          const seeded = await seedHistory(seeding, customers);
          rows += seeded.rows;
          seconds += seeded.seconds;
        }
        const count = past.reduce((sum, p) => sum + p.count, 0);
        for (const { firstCustomer, count: customers } of returning) {
          const addresses = [firstCustomer, firstCustomer + customers - 1].map((c) => `+${phoneOf(c)}`);
          const found = await seeding.prisma.channelIdentity.count({ where: { channel: 'whatsapp', address: { in: addresses } } });
          if (found !== 2) throw new Error(`BENCH_E2E_RETURNING: the past customers' numbers do not match the load's (${addresses.join(', ')})`);
        }
        console.log(
          `|   ${dialect}: ${fmt(count)} past customers${RETURNING ? " (the load's among them)" : ''}, ${fmt(rows)} rows written in ${fmt(seconds, 1)} s before Parley starts |`,
        );
      } finally {
        await seeding.close();
      }
    }
    await supervisor.start(processes);
    db = await openDatabase(database.url);
    const before = await counts(db);
    const delivered = () => [...ledger.deliveries.values()].reduce((a, b) => a + b, 0);
    for (const [index, rate] of RATES.entries()) {
      const conversations = (offset: number) => windowConversations(index, rate, offset);
      const baseline = await baselineWindow(dir, rate, conversations(0));
      const targets = supervisor.targets();
      const pids = supervisor.pids();
      const repliesBefore = delivered();
      const parley = await loadWindowMany(targets, rate, conversations(1), () => treeCpuMs(pids), db);
      const last = Math.max(0, ...ledger.lastAcceptedAt.values());
      rows.push({
        rate,
        baseline,
        parley: parley.window,
        replies: delivered() - repliesBefore,
        lastReplyAt: last,
        duplicates: await duplicateDeliveries(db, delivered()),
        settled: parley.settled,
        cores: parley.cores,
        droppedSyns: parley.droppedSyns,
        load: loadavg(),
      });
      printRow(dialect, processes, rows.at(-1) as Row);
    }
    finished = true;
    await printWorkPerMessage(db, before);
    return rows;
  } finally {
    await supervisor.stopAll().catch(() => undefined);
    await db?.close();
    await graph.close();
    await database.drop().catch(() => undefined);
    if (ledger.malformed.length > 0) console.log(`  fake Graph API could not read ${ledger.malformed.length} sends, e.g. ${ledger.malformed[0]}`);
    // A run that failed keeps its directory (Parley's logs) for reading.
    if (finished) rmSync(dir, { recursive: true, force: true });
    else console.log(`  logs kept in ${dir}`);
  }
}

/**
 * Sends the fake provider accepted beyond the replies Parley recorded as sent or is sending:
 * a reply sent twice. (The same text twice to one customer is not one: a flow may ask again.)
 * Exact once every reply is recorded; while some are still `sending`, a lower bound.
 */
async function duplicateDeliveries(db: Database, delivered: number): Promise<number> {
  // One statement, one snapshot: a row moving from `sending` to sent between two counts would be in neither.
  const [row] = await db.prisma.$queryRaw<{ recorded: bigint | number }[]>`SELECT
    (SELECT COUNT(*) FROM "Message" WHERE "direction" = 'outbound' AND "deliveryStatus" IN ('sent', 'delivered', 'read'))
    + (SELECT COUNT(*) FROM "OutboxItem" WHERE "status" = 'sending') AS "recorded"`;
  return Math.max(0, delivered - Number(row?.recorded ?? 0));
}

interface Counts {
  readonly inbound: number;
  readonly messages: number;
  readonly outbox: number;
  readonly jobs: ReadonlyMap<string, number>;
}

async function counts(db: Database): Promise<Counts> {
  const [inbound, messages, outbox, jobs] = await Promise.all([
    db.prisma.inboxEvent.count(),
    db.prisma.message.count(),
    db.prisma.outboxItem.count(),
    db.prisma.job.groupBy({ by: ['kind'], _count: true }),
  ]);
  return { inbound, messages, outbox, jobs: new Map(jobs.map((j) => [j.kind, j._count])) };
}

/** What the run added to the database per inbound message (history left out): where the work of a message goes. */
async function printWorkPerMessage(db: Database, before: Counts) {
  const after = await counts(db);
  const per = (n: number) => fmt(n / Math.max(1, after.inbound - before.inbound), 2);
  const jobKinds = [...after.jobs].map(([kind, n]) => `${kind} ${per(n - (before.jobs.get(kind) ?? 0))}`).join(', ');
  console.log(
    `  per inbound message: ${per(after.messages - before.messages)} messages, ${per(after.outbox - before.outbox)} outbox rows, jobs: ${jobKinds || 'none'}`,
  );
}

/** One window against Parley: the load spread over its processes, then the wait for every reply. */
async function loadWindowMany(targets: readonly string[], rate: number, conversations: ConversationShape, cpuOf: () => number, db: Database) {
  const cpuBefore = cpuOf();
  const machineBefore = machineCpuMs();
  const postgresBefore = commandCpuMs('postgres');
  const overflowsBefore = listenOverflows();
  const startedAt = performance.now();
  const windows = await Promise.all(
    targets.map((baseUrl, i) =>
      loadWindow(
        {
          baseUrl,
          rate: rate / targets.length,
          seconds: SECONDS,
          appSecret: APP_SECRET,
          conversations: processConversations(conversations, i, targets.length),
          timeoutMs: ACK_TIMEOUT_MS,
        },
        () => 0,
      ),
    ),
  );
  const done = await settled(db);
  const cpuMs = cpuOf() - cpuBefore;
  const elapsedMs = performance.now() - startedAt;
  const machine = machineCpuMs();
  const cores: CoreUse = {
    machine: (machine.busyMs - machineBefore.busyMs) / elapsedMs,
    parley: cpuMs / elapsedMs,
    postgres: (commandCpuMs('postgres') - postgresBefore) / elapsedMs,
  };
  const loads = windows.map((w) => w.load);
  const sorted = <K extends keyof LoadResult>(key: K) => loads.map((l) => l[key] as number);
  const load: LoadResult = {
    sent: sorted('sent').reduce((a, b) => a + b, 0),
    acked: sorted('acked').reduce((a, b) => a + b, 0),
    refused: sorted('refused').reduce((a, b) => a + b, 0),
    unanswered: sorted('unanswered').reduce((a, b) => a + b, 0),
    // Across processes: the worse process's percentile (each is a share of the same offered rate).
    p50: Math.max(...sorted('p50')),
    p99: Math.max(...sorted('p99')),
    max: Math.max(...sorted('max')),
    startedAt: Math.min(...sorted('startedAt')),
    lastAnswerAt: Math.max(...sorted('lastAnswerAt')),
    senderLagMs: Math.max(...sorted('senderLagMs')),
  };
  return { window: { load, cpuMs }, settled: done, cores, droppedSyns: listenOverflows() - overflowsBefore };
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '-');
const ackedPerSecond = (l: LoadResult) => l.acked / Math.max(SECONDS, (l.lastAnswerAt - l.startedAt) / 1000);
const ms = (n: number) => (n >= 1000 ? `${fmt(n / 1000, 1)} s` : `${fmt(n, n < 10 ? 1 : 0)} ms`);

function printRow(dialect: Dialect, processes: number, row: Row) {
  const { baseline: b, parley: p } = row;
  const loadEnd = p.load.startedAt + SECONDS * 1000;
  const replySeconds = Math.max(SECONDS, (row.lastReplyAt - p.load.startedAt) / 1000);
  const baseRate = ackedPerSecond(b.load);
  const cells = [
    `${dialect}${dialect === 'postgresql' ? ` x${processes}` : ''}`,
    fmt(row.rate),
    `${fmt(baseRate)}/s, p50 ${ms(b.load.p50)}, p99 ${ms(b.load.p99)}, ${fmt(b.cpuMs / Math.max(1, b.load.acked), 2)} ms CPU`,
    `${fmt(ackedPerSecond(p.load))}/s (${fmt(ackedPerSecond(p.load) / baseRate, 2)}x), p50 ${ms(p.load.p50)}, p99 ${ms(p.load.p99)}${p.load.unanswered + p.load.refused > 0 ? `, ${p.load.unanswered} unanswered, ${p.load.refused} refused` : ''}${row.droppedSyns > 0 ? `, ${row.droppedSyns} connections dropped (accept queue full)` : ''}`,
    `${fmt(row.replies / replySeconds)}/s (${fmt(row.replies / replySeconds / baseRate, 2)}x), ${row.replies} replies, last ${fmt(Math.max(0, row.lastReplyAt - loadEnd) / 1000, 1)} s after the load${row.settled ? '' : ` (not all sent within ${SETTLE_SECONDS} s)`}`,
    `${fmt(p.cpuMs / Math.max(1, p.load.acked), 2)} ms`,
    String(row.duplicates),
    `${fmt(row.cores.machine, 2)} / ${fmt(row.cores.parley, 2)} / ${fmt(row.cores.postgres, 2)}`,
    row.load.map((l) => fmt(l, 2)).join(' '),
  ];
  console.log(`| ${cells.join(' | ')} |`);
  if (Math.max(b.load.senderLagMs, p.load.senderLagMs) > 100)
    console.log(`|   (the load generator fell ${ms(Math.max(b.load.senderLagMs, p.load.senderLagMs))} behind its schedule) |`);
}

console.log(`End to end (node ${process.version}): signed WhatsApp webhooks at paced rates for ${SECONDS} s each, welcome flow, replies to a fake Graph API.`);
console.log(`Baseline: Fastify + the same signature check + better-sqlite3 (WAL, synchronous=FULL), group commit every 5 ms, in the same run.`);
if (HISTORY > 0) console.log(`Each database starts with ${HISTORY.toLocaleString('en-US')} past customers and their conversations (bench/e2e/history.ts).`);
console.log(`uptime: ${execSync('uptime').toString().trim()}\n`);
console.log(
  `| database | offered/s | baseline acked/s, ack p50/p99, CPU/msg | Parley acked/s (x baseline), ack p50/p99 | replies delivered/s (x baseline acks), last reply after load | Parley CPU/inbound msg | duplicates | cores busy until the last reply: machine / Parley / PostgreSQL (of ${cpus().length}) | load avg 1/5/15 |`,
);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const { dialect, processes } of CONFIGS) await benchConfig(dialect, processes);
console.log(`\nuptime: ${execSync('uptime').toString().trim()}`);
