import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SlackDesk } from '../src/desk/slack/plugin.ts';
import { readSlackConfig, type SlackConfig } from '../src/desk/slack/settings.ts';
import { type ConversationHandler, HumanHandledConversation, type HandlerSelector } from '../src/pipeline/handler.ts';
import { outboundLaneKey } from '../src/pipeline/outbound.ts';
import type { Parley } from '../src/runtime.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';
import { FakeSlack } from './support/fake-slack.ts';
import { type ProcessResult, runParleyProcess } from './support/parley-process.ts';
import { FakeAdapter, testParley } from './support/parley.ts';
import { eventually as eventuallyWithin } from './support/eventually.ts';

/** Up to 30 s here: several runtimes share the machine. */
const eventually = (check: () => void | Promise<void>) => eventuallyWithin(check, 30_000);

const TOKEN = 'xoxb-test-token';
const SUPPORT = 'CSUPPORT1';

const handOffFirst: ConversationHandler = {
  name: 'handoff-first',
  async handle(turn) {
    turn.reply({ text: 'Connecting you to a person.' });
    turn.handOff({ team: 'support', priority: 'high', note: 'asked for a human', collected: {} });
  },
};

/** The bot hands off on the first message; agents handle the rest. */
const human = new HumanHandledConversation();
const handOffThenHuman: HandlerSelector = (conversation) => (conversation.status === 'bot' ? handOffFirst : human);

describe.each(dialects)('several processes on one %s database', (dialect) => {
  let db: TestDatabase;
  const runtimes: Parley[] = [];
  const open = async (options: Parameters<typeof testParley>[1]) => {
    const parley = await testParley(db, options);
    runtimes.push(parley);
    return parley;
  };

  beforeEach(async () => {
    db = await freshDatabase(dialect);
  });
  afterEach(async () => {
    for (const parley of runtimes.splice(0).reverse()) await parley.stop();
    await db.dispose();
  });

  it('a hand-off made by a process without the Slack desk gets its card from the process that runs it', async () => {
    const slack = await new FakeSlack({ token: TOKEN, channels: { [SUPPORT]: ['UBOT', 'UAGENT1'] }, users: { UAGENT1: { name: 'Sara Ahmadi' } } }).start();
    try {
      const config = readSlackConfig({
        SLACK_BOT_TOKEN: TOKEN,
        SLACK_SIGNING_SECRET: 'secret',
        SLACK_API_URL: slack.apiUrl,
        SLACK_PORT: '0',
        SLACK_DEFAULT_CHANNEL: SUPPORT,
      }) as SlackConfig;
      // The desk process: the Slack plugin and the job runner. Customers' messages are handled
      // by the other process (its processor is stopped so that none is handled here).
      const deskProcess = await open({
        // No customer channel here: the customer's reply is the channel process's to send.
        adapters: [],
        handlers: handOffThenHuman,
        plugins: [new SlackDesk(config, { host: '127.0.0.1' })],
        env: { PARLEY_RATE_LIMITS: 'slack:recipient=1/50ms' },
      });
      await deskProcess.start();
      await deskProcess.processor.stop();
      // The channel process (as `parley chat` or a second worker): no Slack plugin at all.
      const customerChannel = new FakeAdapter('whatsapp');
      const channelProcess = await open({ adapters: [customerChannel], handlers: handOffThenHuman });
      await channelProcess.start();
      expect(channelProcess.workerId).not.toBe(deskProcess.workerId);
      expect(channelProcess.pluginStates()).toEqual([]);

      const write = (id: string, text: string) =>
        channelProcess.inbox.accept({ channel: 'whatsapp', externalId: id, sender: { address: '+989121234567', addressKind: 'phone' }, text, raw: {} });
      await write('m1', 'I want a person');
      await eventually(() => expect(slack.topLevel(SUPPORT)).toHaveLength(1));
      const card = slack.topLevel(SUPPORT)[0]!;
      // A later message, emitted by the channel process too, follows in the card's thread.
      await write('m2', 'my order 4711 never came');
      await eventually(() => expect(slack.threadOf(SUPPORT, card.ts).map((m) => m.text)).toContainEqual(expect.stringContaining('my order 4711 never came')));

      await eventually(() => expect(customerChannel.sent.map((m) => m.content.text)).toEqual(['Connecting you to a person.']));
      // Run by the desk process, the only one with a handler for them (the post comes before the job is marked done).
      await eventually(async () => {
        const slackJobs = await db.prisma.job.findMany({ where: { kind: { endsWith: ':slack' } } });
        expect(slackJobs.map((j) => j.kind)).toEqual(
          expect.arrayContaining(['event:conversation.handed_off:slack', 'event:conversation.customer_message:slack']),
        );
        expect(slackJobs.filter((j) => j.status !== 'done')).toEqual([]);
      });
      expect(slack.topLevel(SUPPORT)).toHaveLength(1);
    } finally {
      await slack.stop();
    }
  }, 90_000);

  it('events wait for a subscriber whose process is down until it is back, or until its TTL drops it', async () => {
    let clock = new Date();
    const env = { PARLEY_EVENT_SUBSCRIBER_TTL: '1h' };
    const reopened = (conversationId: string) => ({ type: 'conversation.reopened' as const, conversationId, customerId: 'customer-1' });
    const seenByDesk: string[] = [];
    const runDesk = async () => {
      const desk = await testParley(db, { handlers: () => handOffFirst, now: () => clock, env });
      try {
        desk.events.subscribe('conversation.reopened', 'desk', async (event) => void seenByDesk.push(event.conversationId));
        await desk.jobs.drain();
      } finally {
        await desk.stop();
      }
    };
    // A desk process ran once (recording its subscriber), then went away.
    await runDesk();

    const seenHere: string[] = [];
    const emitter = await open({ handlers: () => handOffFirst, now: () => clock, env });
    emitter.events.subscribe('conversation.reopened', 'here', async (event) => void seenHere.push(event.conversationId));
    const emit = (conversationId: string) => db.write((tx) => emitter.events.emit(tx, [reopened(conversationId)], clock));

    await emit('c1');
    await emitter.jobs.drain();
    // This process's own subscriber ran; the desk's job waits for a process that runs the desk.
    expect(seenHere).toEqual(['c1']);
    expect(await db.prisma.job.findMany({ where: { kind: 'event:conversation.reopened:desk' }, select: { status: true } })).toEqual([{ status: 'pending' }]);

    // The desk comes back and gets what was emitted meanwhile.
    clock = new Date(clock.getTime() + 10 * 60_000);
    await runDesk();
    expect(seenByDesk).toEqual(['c1']);

    // No process runs the desk for longer than the TTL: it is dropped with its waiting events.
    clock = new Date(clock.getTime() + 2 * 3_600_000);
    await emit('c2');
    await emitter.jobs.drain();
    await emit('c3');
    await emitter.jobs.drain();
    expect(seenHere).toEqual(['c1', 'c2', 'c3']);
    const deskJobs = await db.prisma.job.findMany({ where: { kind: 'event:conversation.reopened:desk' }, orderBy: { id: 'asc' } });
    expect(deskJobs.map((j) => [j.status, (j.payload as { conversationId: string }).conversationId])).toEqual([
      ['done', 'c1'],
      ['failed', 'c2'],
    ]);
    expect(deskJobs[1]?.lastError).toMatch(/^no process has run subscriber event:conversation\.reopened:desk since /);
    expect(await db.prisma.eventSubscription.findUnique({ where: { kind: 'event:conversation.reopened:desk' } })).toBeNull();
    expect(await db.prisma.eventSubscription.findUnique({ where: { kind: 'event:conversation.reopened:here' } })).not.toBeNull();
    expect(seenByDesk).toEqual(['c1']);
  }, 90_000);

  it('parley chat prints only its own customer’s replies and leaves the others’ queued', async () => {
    const bobsReply: ConversationHandler = { name: 'bob', handle: async (turn) => turn.reply({ text: 'Reply meant for Bob' }) };
    // Bob talks on the console channel through another process, which has not sent his reply yet.
    const other = await open({ adapters: [new FakeAdapter('console')], handlers: () => bobsReply });
    await other.inbox.accept({ channel: 'console', externalId: 'bob-1', sender: { address: 'bob', addressKind: 'opaque' }, text: 'hi, Bob here', raw: {} });
    await other.processor.drain();
    expect(await db.prisma.outboxItem.count({ where: { laneKey: outboundLaneKey('console', 'bob'), status: 'pending' } })).toBe(1);

    const flows = mkdtempSync(join(tmpdir(), 'parley-no-flows-'));
    try {
      const result = await runChat(['--from', 'ali', '--timeout', '60s'], 'hello\n', { DATABASE_URL: db.url, PARLEY_FLOWS_DIR: flows });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^Thanks for your message!/)]);
    } finally {
      rmSync(flows, { recursive: true, force: true });
    }
    const bobs = await db.prisma.outboxItem.findMany({ where: { laneKey: outboundLaneKey('console', 'bob') } });
    expect(bobs.map((i) => i.status)).toEqual(['pending']);
    expect(await db.prisma.outboxItem.findMany({ where: { laneKey: outboundLaneKey('console', 'ali') }, select: { status: true } })).toEqual([
      { status: 'sent' },
    ]);
  }, 120_000);
});

function runChat(args: string[], input: string, env: Record<string, string>): Promise<ProcessResult> {
  return runParleyProcess(['chat', ...args], input, { PARLEY_DEFAULT_REGION: 'IR', LOG_LEVEL: 'warn', LOG_FORMAT: 'json', ...env });
}
