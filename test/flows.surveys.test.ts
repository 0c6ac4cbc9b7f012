import { afterEach, describe, expect, it } from 'vitest';
import { newId } from '../src/core/ids.ts';
import { FlowRegistry } from '../src/flows/registry.ts';
import { parseFlowFile } from '../src/flows/validate.ts';
import { buildReport } from '../src/routing/reports.ts';
import type { Parley } from '../src/runtime.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';
import { FakeAdapter, settle, silentLogger, testCapabilities, testParley } from './support/parley.ts';

const CSAT = `
id: csat
name: CSAT
locales: [en]
triggers:
  - event: conversation.resolved
steps:
  - id: rate
    ask: { type: rating, text: "How did we do?", save: score }
  - id: record
    survey: { kind: csat, score: score }
  - id: bye
    end: { say: "Thanks!" }
`;

const CLOSED = `
id: closed_check
name: Closed ticket check
locales: [en]
triggers:
  - event: ticket.closed
steps:
  - id: rate
    ask: { type: rating, text: "How was the handling of your request?", save: score }
  - id: record
    survey: { kind: csat, score: score }
  - id: bye
    end: { say: "Noted, thank you." }
`;

describe.each(dialects)('surveys on %s', (dialect) => {
  let db: TestDatabase;
  let parley: Parley;
  let adapter: FakeAdapter;
  let clock: Date;
  let seq = 0;

  async function open(yamls: string[], cap: string) {
    db = await freshDatabase(dialect);
    const registry = FlowRegistry.of([], silentLogger, db);
    for (const yaml of yamls) {
      const parsed = parseFlowFile('test.yaml', yaml);
      if (!parsed.ok) throw new Error(parsed.problems.map((p) => p.message).join('\n'));
      await registry.remember({ flow: parsed.flow, file: `${parsed.flow.id}.yaml`, source: yaml });
    }
    adapter = new FakeAdapter('whatsapp', testCapabilities);
    parley = await testParley(db, {
      adapters: [adapter],
      flows: registry,
      now: () => clock,
      env: { PARLEY_SURVEY_CONTACT_CAP: cap, PARLEY_REOPEN_WINDOW: '1h' },
    });
    await parley.startChannels();
  }
  afterEach(async () => {
    await parley?.stop();
    await db?.dispose();
  });

  const say = async (text: string) => {
    await adapter.context!.receive({ externalId: `m${++seq}`, sender: { address: '+989121234567', addressKind: 'phone' }, text, raw: {} });
    await settle(parley);
  };
  const texts = () => adapter.sent.map((m) => m.content.text);
  const latestConversation = () => db.prisma.conversation.findFirstOrThrow({ orderBy: { id: 'desc' } });

  it('asks one CSAT per customer within the cap; a second is skipped and counted with its reason; after the window it asks again', async () => {
    clock = new Date('2026-03-02T10:00:00Z');
    await open([CSAT], '1/7d');
    await say('hello');
    await parley.desk.resolve((await latestConversation()).id, 'api');
    await settle(parley);
    expect(texts().at(-1)).toMatch(/^How did we do\?/);
    await say('5');

    // Two minutes later a new conversation is resolved: no second survey.
    clock = new Date('2026-03-02T12:02:00Z');
    await say('one more question');
    const second = await latestConversation();
    await parley.desk.resolve(second.id, 'api');
    await settle(parley);
    expect(texts().filter((t) => t?.startsWith('How did we do?'))).toHaveLength(1);
    expect(await db.prisma.surveyDispatch.findMany({ orderBy: { id: 'asc' }, select: { status: true, reason: true, conversationId: true } })).toEqual([
      { status: 'started', reason: null, conversationId: (await db.prisma.conversation.findFirstOrThrow({ orderBy: { id: 'asc' } })).id },
      { status: 'skipped', reason: 'frequency_cap', conversationId: second.id },
    ]);

    clock = new Date('2026-03-10T10:00:00Z');
    await say('hi again');
    await parley.desk.resolve((await latestConversation()).id, 'api');
    await settle(parley);
    expect(texts().filter((t) => t?.startsWith('How did we do?'))).toHaveLength(2);
    const report = await buildReport(db, new Date('2026-03-01T00:00:00Z'), new Date('2026-03-31T00:00:00Z'));
    expect(report.surveys).toEqual({ started: 2, queued: 0, skipped: { frequency_cap: 1 } });
  });

  it('a ticket closed while an agent holds the conversation queues its survey, sent when the agent resolves; the answer rates that ticket and episode', async () => {
    clock = new Date('2026-03-02T10:00:00Z');
    await open([CLOSED], '5/7d');
    await say('my parcel is late');
    const conversation = await latestConversation();
    const agent = await db.prisma.agent.create({ data: { id: newId(), name: 'Ali' } });
    const ticketId = newId();
    await db.write(async (tx) => {
      await tx.conversation.update({ where: { id: conversation.id }, data: { status: 'waiting_for_agent' } });
      await tx.ticket.create({
        data: {
          id: ticketId,
          ref: 'T-100',
          customerId: conversation.customerId,
          conversationId: conversation.id,
          kind: 'complaint',
          subject: 'late',
          fields: {},
        },
      });
      await parley.events.emit(
        tx,
        [
          {
            type: 'conversation.handed_off',
            conversationId: conversation.id,
            customerId: conversation.customerId,
            team: null,
            priority: 'normal',
            collected: {},
          },
        ],
        clock,
      );
    });
    await settle(parley);
    await parley.routing.assign(conversation.id, agent.id, 'api');
    const episode = await db.prisma.conversationSla.findFirstOrThrow({ where: { conversationId: conversation.id } });
    const sentBefore = adapter.sent.length;

    clock = new Date('2026-03-02T10:30:00Z');
    await db.write(async (tx) => {
      await tx.ticket.update({ where: { id: ticketId }, data: { status: 'closed', closedAt: clock } });
      await parley.events.emit(tx, [{ type: 'ticket.closed', ticketId, customerId: conversation.customerId, conversationId: conversation.id }], clock);
    });
    await settle(parley);
    expect(adapter.sent).toHaveLength(sentBefore); // the agent has the conversation: the bot does not talk over them
    expect(await db.prisma.surveyDispatch.findMany({ select: { status: true, ticketId: true, episodeId: true } })).toEqual([
      { status: 'queued', ticketId, episodeId: episode.id },
    ]);

    clock = new Date('2026-03-02T11:00:00Z');
    await parley.desk.resolve(conversation.id, 'api');
    await settle(parley);
    expect(texts().at(-1)).toMatch(/^How was the handling of your request\?/);
    await say('2');
    expect(texts().at(-1)).toBe('Noted, thank you.');
    expect(await db.prisma.surveyDispatch.findMany({ select: { status: true } })).toEqual([{ status: 'started' }]);
    expect(await db.prisma.surveyResponse.findMany({ select: { score: true, ticketId: true, episodeId: true, conversationId: true } })).toEqual([
      { score: 2, ticketId, episodeId: episode.id, conversationId: conversation.id },
    ]);
  });
});
