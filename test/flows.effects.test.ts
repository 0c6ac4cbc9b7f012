import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FlowEffects } from '../src/flows/effects.ts';
import type { Effect, RunResult, SessionState } from '../src/flows/interpreter.ts';
import type { SessionRun } from '../src/flows/session-store.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';

// What flow effects write (src/flows/effects.ts) outside the engine: the customer's record,
// tickets, surveys, replies queued in the outbox and hand-offs, in the caller's transaction.

const NOW = new Date('2026-03-01T10:00:00Z');

const state: SessionState = {
  id: 's1',
  flowId: 'f',
  flowVersion: 'v1',
  stepId: 'bye',
  status: 'completed',
  variables: {},
  retries: 0,
  waiting: null,
  seq: 1,
  reminded: false,
  startedBy: 'event:conversation.resolved',
};
const run = (effects: Effect[], messages: RunResult['messages'] = []): SessionRun => ({ state, result: { state, messages, effects, stats: [] } });

describe.each(dialects)('flow effects on %s', (dialect) => {
  let db: TestDatabase;
  let effects: FlowEffects;
  const conversation = { id: 'v1', customerId: 'c1', channel: 'whatsapp', subject: null, priority: 'normal' as const, identity: { address: '+989121234567' } };

  beforeEach(async () => {
    db = await freshDatabase(dialect);
    effects = new FlowEffects({ dialect: db.dialect, defaultRegion: undefined });
    await db.prisma.customer.create({ data: { id: 'c1', name: 'Sam', attributes: { plan: 'gold' }, tags: ['vip', 'new'] }, select: { id: true } });
    await db.prisma.channelIdentity.create({ data: { id: 'i1', customerId: 'c1', channel: 'whatsapp', address: '+989121234567' }, select: { id: true } });
    await db.prisma.conversation.create({ data: { id: 'v1', customerId: 'c1', identityId: 'i1', channel: 'whatsapp' }, select: { id: true } });
  }, 60_000);
  afterEach(() => db.dispose());

  it('updates the customer record once with every change a run made, in order', async () => {
    const events = await db.write((tx) =>
      effects.applyRecords(
        tx,
        'c1',
        'v1',
        [
          { type: 'attributes', values: { city: 'Tehran' } },
          { type: 'tags', add: ['complained'], remove: ['new'] },
          { type: 'name', name: 'Sámira' },
          { type: 'locale', locale: 'fa' },
          { type: 'attributes', values: { city: 'Shiraz' } },
        ],
        NOW,
      ),
    );
    expect(events).toEqual([]);
    const customer = await db.prisma.customer.findUniqueOrThrow({ where: { id: 'c1' } });
    expect(customer).toMatchObject({ name: 'Sámira', searchName: 'samira', locale: 'fa', attributes: { plan: 'gold', city: 'Shiraz' } });
    expect(customer.tags).toEqual(['vip', 'complained']);
  });

  it('opens a ticket, records a survey and marks a key customer, with the events they cause', async () => {
    const events = await db.write((tx) =>
      effects.applyRecords(
        tx,
        'c1',
        'v1',
        [
          {
            type: 'ticket',
            id: 't1',
            ref: 'CMP-ABC234',
            kind: 'complaint',
            category: 'delivery',
            subject: 'Broken',
            priority: 'high',
            fields: { order: '42' },
          },
          { type: 'survey', kind: 'csat', score: 2, comment: 'slow' },
          { type: 'key_customer', isKey: true, reason: 'big order' },
        ],
        NOW,
      ),
    );
    const survey = await db.prisma.surveyResponse.findFirstOrThrow();
    expect(survey).toMatchObject({ customerId: 'c1', conversationId: 'v1', kind: 'csat', score: 2, comment: 'slow', createdAt: NOW });
    expect(events).toEqual([
      { type: 'ticket.created', ticketId: 't1', customerId: 'c1', conversationId: 'v1' },
      { type: 'survey.recorded', surveyId: survey.id, customerId: 'c1', conversationId: 'v1', kind: 'csat', score: 2 },
    ]);
    expect(await db.prisma.ticket.findUniqueOrThrow({ where: { id: 't1' } })).toMatchObject({
      ref: 'CMP-ABC234',
      kind: 'complaint',
      priority: 'high',
      fields: { order: '42' },
    });
    expect(await db.prisma.customer.findUniqueOrThrow({ where: { id: 'c1' }, select: { isKey: true, keyReason: true } })).toEqual({
      isKey: true,
      keyReason: 'manual: big order',
    });
  });

  it('outside a turn: queues the replies in order, hands off and records, and leaves timers and chained starts alone', async () => {
    const result = await db.write((tx) =>
      effects.inTransaction(
        tx,
        conversation,
        [
          run([{ type: 'tags', add: ['asked'], remove: [] }], [{ text: 'One' }, { text: 'Two' }]),
          run(
            [
              { type: 'timer', kind: 'timeout', runAt: NOW, seq: 1 },
              { type: 'start_flow', flowId: 'other' },
              { type: 'handoff', team: undefined, priority: 'high', note: 'low score', collected: { score: '2' } },
            ],
            [{ text: 'Three' }],
          ),
        ],
        NOW,
      ),
    );
    expect(result.queued).toBe(true);
    expect(result.events).toMatchObject([{ type: 'conversation.handed_off', conversationId: 'v1', customerId: 'c1' }]);
    const sent = await db.prisma.message.findMany({ where: { conversationId: 'v1' }, orderBy: { createdAt: 'asc' }, select: { text: true, authorKind: true } });
    expect(sent).toEqual([
      { text: 'One', authorKind: 'bot' },
      { text: 'Two', authorKind: 'bot' },
      { text: 'Three', authorKind: 'bot' },
    ]);
    expect(await db.prisma.outboxItem.count()).toBe(3);
    expect(await db.prisma.conversation.findUniqueOrThrow({ where: { id: 'v1' }, select: { status: true, priority: true } })).toEqual({
      status: 'waiting_for_agent',
      priority: 'high',
    });
    expect((await db.prisma.customer.findUniqueOrThrow({ where: { id: 'c1' } })).tags).toEqual(['vip', 'new', 'asked']);
  });

  it('outside a turn: a run that says nothing queues nothing', async () => {
    const result = await db.write((tx) => effects.inTransaction(tx, conversation, [run([{ type: 'timer', kind: 'wait', runAt: NOW, seq: 1 }])], NOW));
    expect(result).toEqual({ events: [], queued: false });
    expect(await db.prisma.outboxItem.count()).toBe(0);
  });
});
