import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Database, openDatabase } from '../../src/db/database.ts';
import { check, sendsInFlight, type Tally, violationsOf } from './checker.ts';
import { emptyDatabase } from './database.ts';
import { graphDialect } from './fake-graph.ts';
import { DeliveryLedger, FakeProvider, noFaults, seededRandom } from './fake-provider.ts';
import { twilioDialect } from './fake-twilio.ts';
import { planLoad, sendLoad, type WebhookOutcome } from './load.ts';
import type { RunSize, Scenario } from './scenarios.ts';
import { ParleySupervisor } from './supervisor.ts';
import { PHONE_NUMBER_ID, phoneOf, type Secrets, TWILIO_ACCOUNT_SID, TWILIO_FROM } from './webhooks.ts';

export interface ScenarioReport {
  readonly scenario: Scenario;
  readonly tally: Tally;
  readonly kills: number;
  readonly violations: string[];
  readonly seconds: number;
  readonly logFiles: string[];
}

/**
 * A flow that makes every reply name the message it answers: the first message gets "ready",
 * each later one "echo <its text>", so the fake provider can count deliveries per input.
 */
const ECHO_FLOW = `# Written by the chaos harness (scripts/chaos).
id: chaos_echo
name: Chaos echo
description: Answers every message with its own text so replies can be matched to inputs.
locales: [en]
triggers:
  - first_message: true
steps:
  - id: ready
    ask: { type: text, text: ready, save: said }
  - id: echo
    ask: { type: text, text: "echo {{said}}", save: said }
    next: echo
`;

const SECRETS: Secrets = { metaAppSecret: 'chaos-app-secret', twilioAuthToken: 'chaos-auth-token' };

/** The environment of every `parley start`: a clean one, so no channel of the caller's shell turns on. */
function parleyEnv(dir: string, databaseUrl: string, providers: { graph: string; twilio: string }): Record<string, string> {
  const inherited = Object.fromEntries(['PATH', 'HOME', 'TMPDIR', 'LANG'].flatMap((name) => (process.env[name] ? [[name, process.env[name] as string]] : [])));
  return {
    ...inherited,
    DATABASE_URL: databaseUrl,
    PARLEY_DATA_DIR: join(dir, 'data'),
    PARLEY_FLOWS_DIR: join(dir, 'flows'),
    PARLEY_DEFAULT_REGION: 'IR',
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
    WHATSAPP_ACCESS_TOKEN: 'chaos-token',
    WHATSAPP_PHONE_NUMBER_ID: PHONE_NUMBER_ID,
    WHATSAPP_APP_SECRET: SECRETS.metaAppSecret,
    WHATSAPP_VERIFY_TOKEN: 'chaos-verify',
    WHATSAPP_GRAPH_URL: providers.graph,
    TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: SECRETS.twilioAuthToken,
    TWILIO_FROM,
    TWILIO_API_URL: providers.twilio,
    // Meta's per-recipient pace (one message every 6 s) and a Twilio long code's 1/s would make the run hours long.
    PARLEY_RATE_LIMITS: 'whatsapp=500/s;whatsapp:recipient=50/s;sms=500/s;sms:recipient=50/s',
    // Short enough that a killed process's lanes and sends are taken over within the run.
    PARLEY_LEASE_TTL: '5s',
    PARLEY_POLL_INTERVAL: '250ms',
    PARLEY_SEND_BACKOFF_BASE: '200ms',
    PARLEY_SEND_BACKOFF_MAX: '3s',
    PARLEY_SEND_MAX_ATTEMPTS: '20',
  };
}

const between = (random: () => number, [low, high]: readonly [number, number]) => low + Math.floor(random() * (high - low));

export interface RunOptions {
  readonly size: RunSize;
  readonly seed: number;
  /** Keep the scenario's directory (logs, SQLite file) after the run. */
  readonly keep: boolean;
  readonly log: (line: string) => void;
}

/** Runs one scenario end to end: fresh database, fake provider, processes, load, kills, settle, check. */
export async function runScenario(scenario: Scenario, options: RunOptions): Promise<ScenarioReport> {
  const started = performance.now();
  const { size, seed, log } = options;
  const random = seededRandom(seed);
  const dir = mkdtempSync(join(tmpdir(), `parley-chaos-${scenario.id}-`));
  mkdirSync(join(dir, 'flows'), { recursive: true });
  writeFileSync(join(dir, 'flows', 'chaos_echo.yaml'), ECHO_FLOW);
  const runId = `${scenario.id}${seed.toString(36)}`;
  const shape = { ...size.load, poisonShare: scenario.poisonShare ?? 0 };
  const refusedCustomers = new Set(
    Array.from({ length: shape.customers }, (_, i) => i).filter(() => scenario.refusedShare !== undefined && random() < scenario.refusedShare),
  );
  const ledger = new DeliveryLedger();
  const fakes = [
    new FakeProvider(graphDialect(PHONE_NUMBER_ID), ledger, seed),
    new FakeProvider(twilioDialect(TWILIO_ACCOUNT_SID, SECRETS.twilioAuthToken), ledger, seed + 1),
  ] as const;
  for (const fake of fakes) fake.plan = { ...(scenario.faults ?? noFaults), refusedRecipients: new Set([...refusedCustomers].map(phoneOf)) };
  const [graph, twilio] = await Promise.all(fakes.map((fake) => fake.listen()));
  const database = await emptyDatabase(scenario.dialect, dir, `${runId}_${Date.now().toString(36)}`);
  const supervisor = new ParleySupervisor(parleyEnv(dir, database.url, { graph: graph as string, twilio: twilio as string }), dir);
  let db: Database | undefined;
  let clean = false;
  try {
    log(`[${scenario.id}] ${scenario.title}: starting ${scenario.processes} process(es) in ${dir}`);
    await supervisor.start(scenario.processes);
    db = await openDatabase(database.url);
    const reader = db;

    const plans = planLoad(shape, runId, seed);
    const deadline = Date.now() + size.loadMs;
    let loading = true;
    const load = sendLoad(plans, { secrets: SECRETS, targets: () => supervisor.targets(), deadline, maxServerErrors: 8, seed: seed + 1 }).finally(() => {
      loading = false;
    });

    let inFlightAtKills = 0;
    const kills = size.killsScale(scenario.kills);
    for (let k = 0; k < kills; k++) {
      await sleep(between(random, size.killGapMs));
      const victim = Math.floor(random() * scenario.processes);
      await supervisor.kill(victim);
      // Sends the killed process had written to a provider are read there before the sends in flight are counted.
      await Promise.all(fakes.map((fake) => fake.connectionsClosed()));
      const inFlight = await sendsInFlight(reader, ledger);
      inFlightAtKills += inFlight;
      log(`[${scenario.id}] kill -9 of process ${victim} (${k + 1}/${kills}, load ${loading ? 'running' : 'done'}, sends in flight: ${inFlight})`);
      await supervisor.restart(victim);
    }
    const outcomes: WebhookOutcome[] = await load;
    log(`[${scenario.id}] load done: ${outcomes.length} webhooks; waiting for replies`);

    const input = { db: reader, ledger, outcomes, refusedCustomers, deliveredTwiceAllowed: inFlightAtKills };
    const settleBy = Date.now() + size.settleMs;
    for (;;) {
      const tally = await check(input);
      const pending = await reader.prisma.outboxItem.count({ where: { status: 'pending' } });
      // A message acknowledged but not yet stored counts as lost, not as a missing reply: wait for it too.
      const settled = tally.lost === 0 && tally.repliesMissing === 0 && tally.markedFailed >= tally.permanentRefusals && pending === 0;
      if (settled || Date.now() > settleBy) break;
      await sleep(1_000);
    }
    await supervisor.stopAll();
    const tally = await check(input);
    clean = violationsOf(tally).length === 0;
    return {
      scenario,
      tally,
      kills,
      violations: violationsOf(tally),
      seconds: Math.round((performance.now() - started) / 1000),
      logFiles: supervisor.logFiles(),
    };
  } finally {
    await supervisor.stopAll().catch(() => undefined);
    await db?.close();
    await Promise.all(fakes.map((fake) => fake.close()));
    // A run with violations keeps its directory (logs, SQLite file) for reading.
    const keepDir = options.keep || !clean;
    if (scenario.dialect === 'postgresql' || !keepDir)
      await database.drop().catch((error: unknown) => log(`[${scenario.id}] database not dropped: ${(error as Error).message}`));
    if (!keepDir) rmSync(dir, { recursive: true, force: true });
  }
}
