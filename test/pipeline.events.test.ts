import { z } from 'zod';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DomainEventOf } from '../src/core/events.ts';
import { resolveConversation } from '../src/crm/conversations.ts';
import { type ConversationHandler, HumanHandledConversation } from '../src/pipeline/handler.ts';
import { scheduleJobs } from '../src/pipeline/jobs.ts';
import type { Parley } from '../src/runtime.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';
import { FakeAdapter, settle, testParley } from './support/parley.ts';

const handOffOnFirstMessage: ConversationHandler = {
  name: 'handoff-test',
  async handle(turn) {
    turn.reply({ text: 'Connecting you to a person.' });
    turn.handOff({ team: 'support', priority: 'high', note: 'asked for a human', collected: { category: 'delivery' } });
  },
};

describe.each(dialects)('domain events and jobs on %s', (dialect) => {
  let db: TestDatabase;
  let parley: Parley;
  let adapter: FakeAdapter;

  beforeEach(async () => {
    db = await freshDatabase(dialect);
    adapter = new FakeAdapter();
    const human = new HumanHandledConversation();
    parley = await testParley(db, {
      adapters: [adapter],
      handlers: (c) => (c.status === 'bot' ? handOffOnFirstMessage : human),
    });
    await parley.startChannels();
  });
  afterEach(async () => {
    await parley.stop();
    await db.dispose();
  });

  const receive = (id: string, text: string) =>
    adapter.context!.receive({ externalId: id, sender: { address: '+989121234567', addressKind: 'phone' }, text, raw: {} });

  it('a hand-off sets the conversation waiting for the team and reaches subscribers once, in order with later messages', async () => {
    const seen: string[] = [];
    let handoff: DomainEventOf<'conversation.handed_off'> | undefined;
    parley.events.subscribe('conversation.handed_off', 'test-desk', async (event) => {
      handoff = event;
      seen.push('handoff');
    });
    parley.events.subscribe('conversation.customer_message', 'test-desk', async (event) => {
      const message = await db.prisma.message.findUniqueOrThrow({ where: { id: event.messageId } });
      seen.push(`message:${message.text}`);
    });
    await receive('m1', 'I want a person');
    await receive('m2', 'hello?');
    await receive('m3', 'anyone?');
    await settle(parley);

    const conversation = await db.prisma.conversation.findFirstOrThrow({ include: { team: true } });
    expect(conversation.status).toBe('waiting_for_agent');
    expect(conversation.priority).toBe('high');
    expect(conversation.team?.name).toBe('support');
    expect(handoff).toMatchObject({
      conversationId: conversation.id,
      team: 'support',
      priority: 'high',
      note: 'asked for a human',
      collected: { category: 'delivery' },
    });
    expect(seen).toEqual(['handoff', 'message:hello?', 'message:anyone?']);
    expect(adapter.sent.map((m) => m.content.text)).toEqual(['Connecting you to a person.']);
  });

  it('resolving emits conversation.resolved; a failing subscriber is retried until it succeeds', async () => {
    let calls = 0;
    parley.events.subscribe('conversation.resolved', 'flaky', async (event) => {
      calls++;
      if (calls < 3) throw new Error('not yet');
      expect(event.by).toBe('api');
    });
    await receive('m1', 'hi');
    await settle(parley);
    const conversation = await db.prisma.conversation.findFirstOrThrow();
    await resolveConversation(db, parley.events, conversation.id, 'api');
    await resolveConversation(db, parley.events, conversation.id, 'api');
    for (let i = 0; i < 50 && calls < 3; i++) {
      await parley.jobs.drain();
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(calls).toBe(3);
    // Routing subscribes to conversation.resolved too: look at this subscriber's job only.
    const jobs = await db.prisma.job.findMany({ where: { kind: 'event:conversation.resolved:flaky' } });
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ status: 'done', attempts: 3, lastError: 'not yet' });
    expect((await db.prisma.conversation.findFirstOrThrow()).status).toBe('resolved');
  });

  it('a job that keeps failing ends failed with its error; dedup keys create one job only', async () => {
    parley.jobs.register('always-fails', z.unknown(), async () => {
      throw new Error('provider said no');
    });
    await db.write((tx) =>
      scheduleJobs(tx, db.dialect, [
        { kind: 'always-fails', laneKey: 'x', payload: {}, dedupKey: 'once' },
        { kind: 'always-fails', laneKey: 'x', payload: {}, dedupKey: 'once' },
      ]),
    );
    for (let i = 0; i < 200; i++) {
      await parley.jobs.drain();
      const job = await db.prisma.job.findFirstOrThrow();
      if (job.status === 'failed') break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const jobs = await db.prisma.job.findMany();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ status: 'failed', lastError: 'provider said no', attempts: 8 });
  });

  it('a job whose stored payload does not fit its kind fails at once with the reason; the lane goes on', async () => {
    const ran: number[] = [];
    parley.jobs.register('typed', z.object({ n: z.number() }), async (job) => {
      ran.push(job.payload.n);
    });
    await db.write((tx) =>
      scheduleJobs(tx, db.dialect, [
        { kind: 'typed', laneKey: 't', payload: { n: 'one' } },
        { kind: 'typed', laneKey: 't', payload: { n: 2 } },
      ]).then(() => {}),
    );
    await parley.jobs.drain();
    expect(ran).toEqual([2]);
    const bad = await db.prisma.job.findFirstOrThrow({ where: { kind: 'typed', status: 'failed' } });
    expect(bad.lastError).toMatch(/holds an invalid payload: n: /);
    expect(bad.attempts).toBe(1);
  });

  it('asks job sources for due work every round and runs what they schedule in that round; a failing source is asked again', async () => {
    const ran: string[] = [];
    parley.jobs.register('from-source', z.object({ n: z.number() }), async (job) => {
      ran.push(job.payload.n.toString());
    });
    let asked = 0;
    parley.jobs.addSource('flaky-source', async (now) => {
      asked++;
      if (asked === 1) throw new Error('not yet');
      if (asked === 2)
        await db.write((tx) => scheduleJobs(tx, db.dialect, [{ kind: 'from-source', laneKey: 'z', payload: { n: 1 }, runAt: now }]).then(() => {}));
    });
    expect(await parley.jobs.runDue()).toBe(0);
    expect(await parley.jobs.runDue()).toBe(1);
    expect(ran).toEqual(['1']);
    expect(() => parley.jobs.addSource('flaky-source', async () => {})).toThrow(/already added/);
  });

  it('a job scheduled for later runs only when its time comes', async () => {
    let ran = 0;
    parley.jobs.register('later', z.unknown(), async () => {
      ran++;
    });
    await db.write((tx) => scheduleJobs(tx, db.dialect, [{ kind: 'later', laneKey: 'y', payload: {}, runAt: new Date(Date.now() + 60_000) }]));
    expect(await parley.jobs.drain()).toBe(0);
    expect(ran).toBe(0);
  });
});
