// npm run bench:flows: many concurrent complaint sessions through the real inbound pipeline on
// SQLite, dialog state in the database. The customer side is the same for every engine; an
// engine is a function that builds the handler selector. Figures are printed, not asserted.
import type { Database } from '../src/db/database.ts';
import { BotkitDialogHandler, type BotkitDialogs, botkitHandlers } from '../src/flows/botkit/index.ts';
import { FlowRegistry } from '../src/flows/registry.ts';
import { parseFlowFile } from '../src/flows/validate.ts';
import { defaultHandlers, type HandlerSelector } from '../src/pipeline/handler.ts';
import { freshDatabase } from '../test/support/databases.ts';
import { silentLogger, testParley } from '../test/support/parley.ts';
import complaintDialogs from '../examples/botkit/complaint-dialogs.js';

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 10_000);

/** Builds one flow engine running the complaint flow on this database: handlers, or flows for Parley's engine. */
export type MakeHandlers = (db: Database) => Promise<{ handlers?: HandlerSelector; flows?: FlowRegistry }>;

// The same complaint dialog as examples/botkit/complaint-dialogs.js, as a Parley flow file.
const COMPLAINT_FLOW = `
id: complaint
name: Complaint
locales: [en, fa]
triggers:
  - keyword: { en: [complaint], fa: [شکایت] }
steps:
  - id: category
    ask:
      type: choice
      text: { en: "What is it about?", fa: "موضوع چیست؟" }
      choices:
        - { id: delivery, label: Delivery }
        - { id: product, label: Product }
        - { id: billing, label: Billing }
        - { id: other, label: Other }
      save: category
  - id: description
    ask: { type: text, text: { en: "What happened?", fa: "چه اتفاقی افتاد؟" }, save: description }
  - id: order
    ask: { type: text, optional: true, text: { en: "Order number?", fa: "شماره سفارش؟" }, save: order }
  - id: confirm
    ask: { type: yes_no, text: { en: "Shall we register it?", fa: "ثبت کنیم؟" }, save: confirmed }
  - id: done
    end: { say: { en: "Registered, thank you.", fa: "ثبت شد، ممنون." } }
`;

function complaintFlowRegistry(db: Database): FlowRegistry {
  const parsed = parseFlowFile('complaint.yaml', COMPLAINT_FLOW);
  if (!parsed.ok) throw new Error(parsed.problems.map((p) => p.message).join('; '));
  return FlowRegistry.of([parsed.flow], silentLogger, db);
}

/**
 * The engines the benchmark compares. The complaint flow they run: category (4 choices),
 * description (free text), order number (optional: a "none" choice), confirmation (yes/no),
 * then a closing message.
 */
export const engines: Record<string, MakeHandlers> = {
  // No flow: the default acknowledgement, for the pipeline's own cost in this scenario.
  baseline: async () => ({ handlers: defaultHandlers() }),
  parley: async (db) => ({ flows: complaintFlowRegistry(db) }),
  botkit: async (db) => ({ handlers: botkitHandlers(await BotkitDialogHandler.create(db, complaintDialogs as BotkitDialogs)) }),
};

type CustomerMessage = { text: string; tap?: { id: string; title: string } };

const CATEGORIES = [
  { id: 'delivery', title: 'Delivery' },
  { id: 'product', title: 'Product' },
  { id: 'billing', title: 'Billing' },
  { id: 'other', title: 'Other' },
];

/** What customer `i` writes, one message after each bot reply: 5 messages, 4 answers to questions. */
function complaintScript(i: number): CustomerMessage[] {
  const category = CATEGORIES[i % CATEGORIES.length] as { id: string; title: string };
  return [
    { text: i % 2 === 0 ? 'I have a complaint' : 'سلام، شکایت دارم' },
    { text: category.title, tap: category },
    { text: i % 2 === 0 ? 'The parcel arrived two days late and the box was crushed.' : 'بسته دو روز دیر رسید و جعبه له شده بود.' },
    i % 3 === 0 ? { text: 'No order number', tap: { id: 'none', title: 'No order number' } } : { text: `A-${100_000 + i}` },
    { text: 'Yes', tap: { id: 'yes', title: 'Yes' } },
  ];
}

const phone = (i: number) => `+98912${String(3_000_000 + i).padStart(7, '0')}`;

export interface ScenarioResult {
  readonly engine: string;
  readonly sessions: number;
  readonly turns: number;
  readonly seconds: number;
  readonly turnsPerSecond: number;
  /** This process's CPU time (user + system) per turn: steadier than turns/s on a busy machine. */
  readonly cpuMsPerTurn: number;
  readonly turnLatencyP50: number;
  readonly turnLatencyP99: number;
  readonly botReplies: number;
  readonly peakRssMiB: number;
  readonly peakHeapMiB: number;
}

/**
 * Runs SESSIONS complaint sessions at once: every customer sends a message, waits until the
 * pipeline has committed its turn (reply queued, dialog state stored), then sends the next.
 */
export async function runScenario(engineName: string, makeHandlers: MakeHandlers, sessions = SESSIONS): Promise<ScenarioResult> {
  const db = await freshDatabase('sqlite');
  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  const sampler = setInterval(sample, 100);
  try {
    const tuning = Object.fromEntries(
      ['PARLEY_BATCH_SIZE', 'PARLEY_WORKER_CONCURRENCY'].flatMap((k) => (process.env[k] ? [[k, process.env[k] as string]] : [])),
    );
    const parley = await testParley(db, { ...(await makeHandlers(db)), env: { PARLEY_POLL_INTERVAL: '50ms', ...tuning } });
    await parley.startChannels();
    const waiting = new Map<string, () => void>();
    parley.processor.onCommitted((events) => {
      for (const e of events) waiting.get(e.externalId)?.();
    });
    parley.processor.start();
    const latencies: number[] = [];
    const cpuAtStart = process.cpuUsage();
    const start = performance.now();
    await Promise.all(
      Array.from({ length: sessions }, async (_, i) => {
        for (const [step, message] of complaintScript(i).entries()) {
          const externalId = `${engineName}.${i}.${step}`;
          const handled = new Promise<void>((resolve) => waiting.set(externalId, resolve));
          const sentAt = performance.now();
          await parley.inbox.accept({
            channel: 'whatsapp',
            externalId,
            sender: { address: phone(i), addressKind: 'phone' },
            text: message.text,
            interactiveReply: message.tap,
            raw: { id: externalId },
          });
          await handled;
          waiting.delete(externalId);
          latencies.push(performance.now() - sentAt);
        }
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuAtStart);
    sample();
    await parley.stop();
    const failed = await db.prisma.inboxEvent.count({ where: { OR: [{ status: 'failed' }, { error: { not: null } }] } });
    if (failed > 0) throw new Error(`${failed} turns failed: ${(await db.prisma.inboxEvent.findFirst({ where: { error: { not: null } } }))?.error}`);
    const botReplies = await db.prisma.message.count({ where: { authorKind: 'bot' } });
    latencies.sort((a, b) => a - b);
    const turns = latencies.length;
    return {
      engine: engineName,
      sessions,
      turns,
      seconds,
      turnsPerSecond: turns / seconds,
      cpuMsPerTurn: (cpu.user + cpu.system) / 1000 / turns,
      turnLatencyP50: latencies[Math.floor(turns * 0.5)] ?? Number.NaN,
      turnLatencyP99: latencies[Math.floor(turns * 0.99)] ?? Number.NaN,
      botReplies,
      peakRssMiB: peakRss / 1024 / 1024,
      peakHeapMiB: peakHeap / 1024 / 1024,
    };
  } finally {
    clearInterval(sampler);
    await db.dispose();
  }
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const selected = process.env.BENCH_ENGINES?.split(',') ?? Object.keys(engines);
console.log(`Parley flow benchmark (node ${process.version}, SQLite): ${fmt(SESSIONS)} concurrent complaint sessions, 5 customer messages each`);
console.log('Each turn: durable accept -> customer/conversation -> flow handler (state read) -> reply + state write, one transaction per batch.\n');
const results = new Map<string, ScenarioResult>();
for (const name of selected) {
  const makeHandlers = engines[name];
  if (!makeHandlers) throw new Error(`BENCH_ENGINES: no engine "${name}" (known: ${Object.keys(engines).join(', ')})`);
  const r = await runScenario(name, makeHandlers);
  results.set(name, r);
  console.log(`== ${r.engine}`);
  console.log(`  turns                    : ${fmt(r.turns)} in ${fmt(r.seconds, 1)} s`);
  console.log(`  throughput               : ${fmt(r.turnsPerSecond)} turns/s`);
  console.log(`  CPU time per turn        : ${fmt(r.cpuMsPerTurn, 3)} ms (this process, user + system)`);
  console.log(`  turn latency (accept -> committed): p50 ${fmt(r.turnLatencyP50, 1)} ms, p99 ${fmt(r.turnLatencyP99, 1)} ms`);
  console.log(`  bot replies stored       : ${fmt(r.botReplies)} (${fmt(r.botReplies / r.sessions, 2)} per session)`);
  console.log(`  peak RSS / heap used     : ${fmt(r.peakRssMiB)} MiB / ${fmt(r.peakHeapMiB)} MiB\n`);
}

const ours = results.get('parley');
const theirs = results.get('botkit');
if (ours && theirs) {
  console.log(
    `Parley's flow engine vs the Botkit bridge on the same work: ${fmt(ours.turnsPerSecond / theirs.turnsPerSecond, 1)}x the turns/s, ${fmt(theirs.cpuMsPerTurn / ours.cpuMsPerTurn, 1)}x less CPU per turn (target: at least 3x; target 2,000 turns/s: ${ours.turnsPerSecond >= 2000 ? 'met' : 'missed'})`,
  );
}
