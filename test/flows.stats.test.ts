import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../src/db/migrate.ts';
import { FlowRegistry } from '../src/flows/registry.ts';
import type { Flow } from '../src/flows/schema.ts';
import { flowStats } from '../src/flows/stats.ts';
import { parseFlowFile } from '../src/flows/validate.ts';
import type { Parley } from '../src/runtime.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';
import { FakeAdapter, settle, silentLogger, testCapabilities, testParley } from './support/parley.ts';

// Flow stats: step events are counted per flow version, step, kind and UTC hour.

const RATE_YAML = `
id: rate
name: Rate
locales: [en]
triggers:
  - keyword: [rate]
steps:
  - id: score
    ask: { type: rating, text: "Rate us", save: score }
  - id: record
    survey: { kind: csat, score: score }
  - id: bye
    end: { say: "Thanks!" }
`;
const parsed = parseFlowFile('rate.yaml', RATE_YAML);
if (!parsed.ok) throw new Error(parsed.problems.map((p) => p.message).join('\n'));
const RATE: Flow = parsed.flow;

const counts = (entered: number, answered: number, invalid: number, completed: number) => ({ entered, answered, invalid, timed_out: 0, dropped: 0, completed });

describe.each(dialects)('flow step counters on %s', (dialect) => {
  let db: TestDatabase;
  let parley: Parley;
  let adapter: FakeAdapter;
  let clock: Date;
  let seq = 0;

  const receive = (text: string, from: string) =>
    adapter.context!.receive({ externalId: `m${++seq}`, sender: { address: from, addressKind: 'phone' }, text, raw: {} });
  const at = async (iso: string, messages: [text: string, from: string][]) => {
    clock = new Date(iso);
    for (const [text, from] of messages) await receive(text, from);
    await settle(parley);
  };

  beforeEach(async () => {
    db = await freshDatabase(dialect);
    const registry = FlowRegistry.of([], silentLogger, db);
    await registry.remember({ flow: RATE, file: 'rate.yaml', source: RATE_YAML });
    adapter = new FakeAdapter('whatsapp', testCapabilities);
    clock = new Date('2026-11-23T10:00:00Z');
    parley = await testParley(db, { adapters: [adapter], flows: registry, now: () => clock });
    await parley.startChannels();
  });
  afterEach(async () => {
    await parley.stop();
    await db.dispose();
  });

  it('adds each batch to one counter per step, kind and hour; stats read the same numbers as events would give, `since` from the start of its hour', async () => {
    const [a, b, c] = ['+989121111111', '+989122222222', '+989123333333'];
    // Two customers in one batch (the same counter twice in it), then more batches in that hour.
    await at('2026-11-23T10:20:00Z', [
      ['rate', a],
      ['rate', c],
    ]);
    await at('2026-11-23T10:25:00Z', [['blue', a]]); // invalid
    await at('2026-11-23T10:30:00Z', [['4', a]]);
    await at('2026-11-23T10:59:59Z', [['5', c]]);
    await at('2026-11-23T11:40:00Z', [['rate', b]]);
    await at('2026-11-23T11:41:00Z', [['3', b]]);
    expect(adapter.sent.filter((m) => m.content.text === 'Thanks!')).toHaveLength(3);

    const rows = await db.prisma.flowStepCount.findMany({ orderBy: [{ hour: 'asc' }, { stepId: 'asc' }, { kind: 'asc' }] });
    expect(rows.map((r) => `${r.hour.toISOString().slice(11, 13)}h ${r.stepId}:${r.kind}=${r.count}`)).toEqual([
      '10h bye:completed=2',
      '10h bye:entered=2',
      '10h record:entered=2',
      '10h score:answered=2',
      '10h score:entered=2',
      '10h score:invalid=1',
      '11h bye:completed=1',
      '11h bye:entered=1',
      '11h record:entered=1',
      '11h score:answered=1',
      '11h score:entered=1',
    ]);
    expect(new Set(rows.map((r) => r.flowVersion))).toEqual(new Set([RATE.version]));

    const all = await flowStats(db, 'rate', RATE);
    expect(all).toEqual({
      flowId: 'rate',
      sessions: { started: 3, active: 0, completed: 3, abandoned: 0 },
      steps: [
        { stepId: 'score', counts: counts(3, 3, 1, 0) },
        { stepId: 'record', counts: counts(3, 0, 0, 0) },
        { stepId: 'bye', counts: counts(3, 0, 0, 3) },
      ],
    });
    // Hour granularity: 11:10 counts the whole 11:00 hour, 10:59 the whole 10:00 hour.
    const late = await flowStats(db, 'rate', RATE, new Date('2026-11-23T11:10:00Z'));
    expect(late.steps.map((s) => s.counts)).toEqual([counts(1, 1, 0, 0), counts(1, 0, 0, 0), counts(1, 0, 0, 1)]);
    expect(late.sessions.started).toBe(1);
    expect((await flowStats(db, 'rate', RATE, new Date('2026-11-23T10:59:00Z'))).steps[0]?.counts).toEqual(counts(3, 3, 1, 0));
    expect((await flowStats(db, 'rate', RATE, new Date('2026-11-23T12:00:00Z'))).steps[0]?.counts).toEqual(counts(0, 0, 0, 0));
  });
});

describe.each(dialects)('the step counter migration on %s', (dialect) => {
  let db: TestDatabase;
  afterEach(async () => {
    await db.dispose();
  });

  it('folds the stored step events into hourly counters, so stats stay as they were, and drops the event table', async () => {
    db = await freshDatabase(dialect, { before: 'flow_step_counts' });
    const events: [session: string, version: string, step: string, kind: string, at: string][] = [
      ['s1', 'v1', 'score', 'entered', '2026-03-06T09:59:59.999Z'],
      ['s1', 'v1', 'score', 'answered', '2026-03-06T10:00:00.000Z'],
      ['s2', 'v1', 'score', 'entered', '2026-03-06T10:15:00.000Z'],
      ['s2', 'v1', 'score', 'invalid', '2026-03-06T10:16:00.000Z'],
      ['s2', 'v1', 'score', 'answered', '2026-03-06T10:17:00.000Z'],
      ['s3', 'v2', 'score', 'entered', '2026-03-06T10:30:00.000Z'],
      ['s3', 'v2', 'old_step', 'dropped', '2026-03-07T23:30:00.000Z'],
    ];
    let n = 0;
    for (const [session, version, step, kind, iso] of events) {
      const at = dialect === 'sqlite' ? iso.replace('Z', '+00:00') : iso;
      await db.prisma.$executeRawUnsafe(
        `INSERT INTO "FlowStepEvent" ("id", "sessionId", "flowId", "flowVersion", "stepId", "kind", "at") VALUES ('e${++n}', '${session}', 'rate', '${version}', '${step}', '${kind}', '${at}')`,
      );
    }
    await db.prisma.$disconnect(); // as at a start after an upgrade: the migration engine wants the SQLite file to itself
    await migrate(db);
    const rows = await db.prisma.flowStepCount.findMany({ orderBy: [{ hour: 'asc' }, { flowVersion: 'asc' }, { stepId: 'asc' }, { kind: 'asc' }] });
    expect(rows.map((r) => `${r.hour.toISOString()} ${r.flowVersion} ${r.stepId}:${r.kind}=${r.count}`)).toEqual([
      '2026-03-06T09:00:00.000Z v1 score:entered=1',
      '2026-03-06T10:00:00.000Z v1 score:answered=2',
      '2026-03-06T10:00:00.000Z v1 score:entered=1',
      '2026-03-06T10:00:00.000Z v1 score:invalid=1',
      '2026-03-06T10:00:00.000Z v2 score:entered=1',
      '2026-03-07T23:00:00.000Z v2 old_step:dropped=1',
    ]);
    const stats = await flowStats(db, 'rate', RATE);
    expect(stats.steps).toEqual([
      { stepId: 'score', counts: counts(3, 2, 1, 0) },
      { stepId: 'record', counts: counts(0, 0, 0, 0) },
      { stepId: 'bye', counts: counts(0, 0, 0, 0) },
      { stepId: 'old_step', counts: { ...counts(0, 0, 0, 0), dropped: 1 } },
    ]);
    const tables = await db.prisma.$queryRawUnsafe<{ name: string }[]>(
      dialect === 'sqlite'
        ? `SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'FlowStepEvent'`
        : `SELECT table_name AS name FROM information_schema.tables WHERE table_name = 'FlowStepEvent'`,
    );
    expect(tables).toEqual([]);
  });
});
