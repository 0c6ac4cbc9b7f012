import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../src/core/ids.ts';
import { migrate } from '../src/db/migrate.ts';
import { FlowRegistry } from '../src/flows/registry.ts';
import type { Flow } from '../src/flows/schema.ts';
import { parseFlowFile } from '../src/flows/validate.ts';
import { scheduleJobs } from '../src/pipeline/jobs.ts';
import type { Parley } from '../src/runtime.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';
import { FakeAdapter, settle, silentLogger, testCapabilities, testParley } from './support/parley.ts';

// Session timers: one pending timer per session, kept on its row; due, it runs as a job on the
// customer's inbound lane.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const PHONE = '+989121234567';
const LANE = `in:whatsapp:${PHONE}`;

const sources = new Map<string, string>();
function define(yaml: string): Flow {
  const result = parseFlowFile('test.yaml', yaml);
  if (!result.ok) throw new Error(result.problems.map((p) => `${p.line}:${p.column} ${p.message}`).join('\n'));
  sources.set(`${result.flow.id}@${result.flow.version}`, yaml);
  return result.flow;
}

const PROFILE = define(`
id: profile
name: Profile
locales: [en]
triggers:
  - keyword: [profile]
settings:
  remind_after: 1h
  give_up_after: 2h
steps:
  - id: name
    ask: { type: text, text: "Your name?", save: name }
  - id: city
    ask: { type: text, text: "Your city?", save: city }
  - id: bye
    end: { say: "Thanks {{name}}." }
`);

const WAITER = define(`
id: waiter
name: Waiter
locales: [en]
triggers:
  - keyword: [wait]
steps:
  - id: hold
    say: "Hold on."
  - id: pause
    wait: 10m
  - id: back
    end: { say: "Back." }
`);

const CHECK = define(`
id: check
name: Check
locales: [en]
triggers:
  - event: ticket.closed
    delay: 30m
steps:
  - id: solved
    ask: { type: yes_no, text: "Solved?", save: solved }
`);

describe.each(dialects)('flow session timers on %s', (dialect) => {
  let db: TestDatabase;
  let parley: Parley | undefined;
  let adapter: FakeAdapter;
  let clock: Date;
  let seq = 0;

  const open = async (flows: Flow[]) => {
    const registry = FlowRegistry.of([], silentLogger, db);
    for (const f of flows) await registry.remember({ flow: f, file: `${f.id}.yaml`, source: sources.get(`${f.id}@${f.version}`) ?? '' });
    adapter = new FakeAdapter('whatsapp', testCapabilities);
    parley = await testParley(db, { adapters: [adapter], flows: registry, now: () => clock });
    await parley.startChannels();
    return parley;
  };
  const say = async (text: string) => {
    await adapter.context!.receive({ externalId: `m${++seq}`, sender: { address: PHONE, addressKind: 'phone' }, text, raw: {} });
    await settle(parley!);
  };
  const advance = async (ms: number) => {
    clock = new Date(clock.getTime() + ms);
    await settle(parley!);
  };
  const texts = () => adapter.sent.map((m) => m.content.text);
  const session = () => db.prisma.flowSession.findFirstOrThrow({ orderBy: { createdAt: 'desc' } });
  const timerJobs = () => db.prisma.job.findMany({ where: { kind: 'flow.timer' }, orderBy: { id: 'asc' } });

  beforeEach(async () => {
    db = await freshDatabase(dialect);
    // Real time: job ids are made from the wall clock, and lane order compares them.
    clock = new Date();
    seq = 0;
  });
  afterEach(async () => {
    await parley?.stop();
    parley = undefined;
    await db.dispose();
  });

  it('keeps one timer per session on its row, moved by every answer and dropped at the end: no timer job is ever made', async () => {
    await open([PROFILE]);
    await say('profile');
    expect((await session()).timerAt?.getTime()).toBe(clock.getTime() + HOUR);
    await advance(10 * MINUTE);
    await say('Sara');
    expect(texts().at(-1)).toBe('Your city?');
    expect((await session()).timerAt?.getTime()).toBe(clock.getTime() + HOUR);
    await say('Shiraz');
    expect(texts().at(-1)).toBe('Thanks Sara.');
    expect(await session()).toMatchObject({ status: 'completed', timerAt: null });
    // Long past every reminder the asks once set: nothing fires, not even as a no-op.
    await advance(24 * HOUR);
    expect(texts()).toEqual(['Your name?', 'Your city?', 'Thanks Sara.']);
    expect(await timerJobs()).toEqual([]);
  });

  it('runs a due timer once, as a job on the customer inbound lane; the reminder sets the give-up timer in its place', async () => {
    await open([PROFILE]);
    await say('profile');
    await advance(59 * MINUTE);
    expect(await timerJobs()).toEqual([]);
    await advance(2 * MINUTE);
    expect(texts().at(-1)).toBe('Just a reminder: we are still waiting for your answer.\nYour name?');
    const [reminder] = await timerJobs();
    expect(reminder).toMatchObject({ laneKey: LANE, status: 'done', attempts: 1 });
    const s = await session();
    expect(reminder?.payload).toEqual({ sessionId: s.id, seq: s.seq - 1, timer: 'timeout' });
    expect(s).toMatchObject({ status: 'active', reminded: true });
    expect(s.timerAt?.getTime()).toBe(clock.getTime() + 2 * HOUR);
    await advance(HOUR);
    expect(await timerJobs()).toHaveLength(1);
    await advance(HOUR + MINUTE);
    expect(await session()).toMatchObject({ status: 'abandoned', timerAt: null });
    const jobs = await timerJobs();
    expect(jobs.map((j) => [j.status, (j.payload as { timer: string }).timer])).toEqual([
      ['done', 'timeout'],
      ['done', 'timeout'],
    ]);
    expect(texts()).toHaveLength(2);
  });

  it('a timer survives a restart', async () => {
    await open([WAITER]);
    await say('wait');
    expect(texts()).toEqual(['Hold on.']);
    await parley!.stop();
    await open([WAITER]);
    await advance(11 * MINUTE);
    expect(texts()).toEqual(['Back.']);
    expect(await session()).toMatchObject({ status: 'completed', timerAt: null });
  });

  it('a due timer takes the place in the lane a job made when it was set would have: a later delayed job does not hold it up', async () => {
    await open([WAITER, CHECK]);
    await say('wait');
    await advance(MINUTE);
    const conversation = await db.prisma.conversation.findFirstOrThrow();
    await db.write((tx) =>
      parley!.events.emit(tx, [{ type: 'ticket.closed', ticketId: 't1', customerId: conversation.customerId, conversationId: conversation.id }], clock),
    );
    await settle(parley!);
    // The delayed start is queued in the customer's lane, due in 30 minutes.
    expect(await db.prisma.job.count({ where: { kind: 'flow.start', laneKey: LANE, status: 'pending' } })).toBe(1);
    await advance(10 * MINUTE);
    expect(texts()).toEqual(['Hold on.', 'Back.']);
    await advance(30 * MINUTE);
    expect(texts()).toEqual(['Hold on.', 'Back.', 'Solved?']);
  });

  it('a customer who answers before a due timer job runs makes it a no-op, and their new timer stands', async () => {
    await open([PROFILE]);
    await say('profile');
    clock = new Date(clock.getTime() + HOUR + MINUTE);
    // The timer becomes a job, but the lane is busy (another process handles the customer).
    await db.prisma.lease.create({ data: { key: LANE, holder: 'another-process', untilMs: BigInt(clock.getTime() + MINUTE) } });
    expect(await parley!.jobs.runDue()).toBe(0);
    expect(await timerJobs()).toMatchObject([{ status: 'pending', laneKey: LANE }]);
    expect((await session()).timerAt).toBeNull();
    await db.prisma.lease.deleteMany({});
    // The customer's answer is handled first; the timer job then finds the session moved on.
    await say('Sara');
    expect(texts()).toEqual(['Your name?', 'Your city?']);
    expect(await timerJobs()).toMatchObject([{ status: 'done' }]);
    expect((await session()).timerAt?.getTime()).toBe(clock.getTime() + HOUR);
  });
});

describe.each(dialects)('the timer migration on %s', (dialect) => {
  let db: TestDatabase;
  afterEach(async () => {
    await db.dispose();
  });

  it("moves each active session's current timer job onto the session and drops every pending timer job", async () => {
    db = await freshDatabase(dialect, { before: 'flow_session_timers' });
    const customer = await db.prisma.customer.create({ data: { id: newId(), attributes: {}, tags: [] }, select: { id: true } });
    const identity = await db.prisma.channelIdentity.create({
      data: { id: newId(), customerId: customer.id, channel: 'whatsapp', address: PHONE },
      select: { id: true },
    });
    const conversation = await db.prisma.conversation.create({
      data: { id: newId(), customerId: customer.id, identityId: identity.id, channel: 'whatsapp' },
      select: { id: true },
    });
    const at = (iso: string) => (dialect === 'sqlite' ? `'${iso.replace('Z', '+00:00')}'` : `'${iso}'`);
    const sessions = [
      { id: 'waiting', status: 'active', seq: 3 },
      { id: 'finished', status: 'completed', seq: 5 },
    ];
    for (const s of sessions) {
      await db.prisma.$executeRawUnsafe(
        `INSERT INTO "FlowSession" ("id", "conversationId", "customerId", "flowId", "flowVersion", "stepId", "status", "variables", "waiting", "seq", "updatedAt")
         VALUES ('${s.id}', '${conversation.id}', '${customer.id}', 'profile', 'v1', 'name', '${s.status}', '{}', ${s.status === 'active' ? "'ask'" : 'NULL'}, ${s.seq}, ${at('2026-11-23T10:00:00.000Z')})`,
      );
    }
    const timer = (sessionId: string, seq: number, runAt: string) => ({
      kind: 'flow.timer',
      laneKey: LANE,
      payload: { sessionId, seq, timer: 'timeout' },
      runAt: new Date(runAt),
    });
    await db.write((tx) =>
      scheduleJobs(tx, db.dialect, [
        timer('waiting', 2, '2026-11-23T10:30:00Z'), // stale: set at an earlier seq
        timer('waiting', 3, '2026-11-23T11:00:00Z'), // the current one
        timer('finished', 5, '2026-11-23T11:00:00Z'), // its session is over
        { kind: 'flow.start', laneKey: LANE, payload: {}, runAt: new Date('2026-11-23T12:00:00Z') },
      ]),
    );
    // As at a start after an upgrade: the migration engine wants the SQLite file to itself.
    await db.prisma.$disconnect();
    await migrate(db);
    const after = await db.prisma.flowSession.findMany({ orderBy: { id: 'desc' }, select: { id: true, timerAt: true } });
    expect(after).toEqual([
      { id: 'waiting', timerAt: new Date('2026-11-23T11:00:00Z') },
      { id: 'finished', timerAt: null },
    ]);
    expect((await db.prisma.job.findMany()).map((j) => j.kind)).toEqual(['flow.start']);
  });
});
