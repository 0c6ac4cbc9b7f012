import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { startSummary } from '../src/cli/start-summary.ts';
import type { ParleyPlugin } from '../src/core/plugin.ts';
import { newId } from '../src/core/ids.ts';
import { resolveConversation } from '../src/crm/conversations.ts';
import { SlackDesk } from '../src/desk/slack/plugin.ts';
import { readSlackConfig, type SlackConfig } from '../src/desk/slack/settings.ts';
import { type ConversationHandler, HumanHandledConversation } from '../src/pipeline/handler.ts';
import { RoutingConfigSchema } from '../src/routing/config.ts';
import { UNATTENDED_TAG } from '../src/routing/unattended.ts';
import type { Parley } from '../src/runtime.ts';
import { buildServer } from '../src/server/app.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';
import { eventually } from './support/eventually.ts';
import { FakeSlack } from './support/fake-slack.ts';
import { FakeAdapter, settle, testParley } from './support/parley.ts';

const handOff: ConversationHandler = {
  name: 'handoff-test',
  async handle(turn) {
    turn.reply({ text: 'Connecting you to a person.' });
    turn.handOff({ team: 'support', priority: 'normal' });
  },
};

/** An agent desk that runs (what matters here is only that one does). */
const runningDesk = (): ParleyPlugin => ({ name: 'desk', start: async () => {}, stop: async () => {} });

const routing = RoutingConfigSchema.parse({
  teams: { support: { strategy: 'round_robin' } },
  agents: [
    { name: 'Ali', teams: ['support'], capacity: 2 },
    { name: 'Bita', teams: ['support'], capacity: 2 },
  ],
});

describe.each(dialects)('hand-offs nobody can take are flagged unattended (%s)', (dialect) => {
  let db: TestDatabase;
  let parley: Parley | undefined;
  let adapter: FakeAdapter;
  let fake: FakeSlack | undefined;

  async function start(plugins: ParleyPlugin[] = []) {
    adapter = new FakeAdapter();
    const human = new HumanHandledConversation();
    parley = await testParley(db, {
      adapters: [adapter],
      handlers: (c) => (c.status === 'bot' ? handOff : human),
      routingConfig: routing,
      plugins,
      env: { PARLEY_API_TOKEN: 'token', PARLEY_RATE_LIMITS: 'slack:recipient=1/100ms', PARLEY_DATA_DIR: join(tmpdir(), `parley-unattended-${newId()}`) },
    });
    // No background loops: settle() runs the work, so each step is done when it returns.
    await parley.startChannels();
    await parley.startPlugins();
    return parley;
  }
  const handOffOne = async (p: Parley, address = '+989121234567') => {
    await adapter.context!.receive({ externalId: newId(), sender: { address, addressKind: 'phone' }, text: 'I need a person', raw: {} });
    await settle(p);
    return db.prisma.conversation.findFirstOrThrow({ orderBy: { id: 'desc' } });
  };
  const agentIds = async () => (await db.prisma.agent.findMany({ orderBy: { name: 'asc' } })).map((a) => a.id);
  const setEveryone = async (p: Parley, availability: 'available' | 'away') => {
    for (const id of await agentIds()) await p.routing.setAvailability(id, availability);
  };

  afterEach(async () => {
    await parley?.stop();
    parley = undefined;
    await fake?.stop();
    fake = undefined;
    await db.dispose();
  });

  it('flags a hand-off made with no desk running (an automatic assignment does not count), shows it in the API and the start summary, clears it when a person assigns it', async () => {
    db = await freshDatabase(dialect);
    const p = await start();
    const conversation = await handOffOne(p);
    // Routing assigned it to an available agent, who has no desk to see it in.
    expect(conversation.status).toBe('assigned');
    expect(conversation.tags).toEqual([UNATTENDED_TAG]);
    expect(await p.unattended.count()).toBe(1);

    const server = await buildServer(p);
    try {
      const response = await server.inject({ method: 'GET', url: '/api/v1/conversations', headers: { authorization: 'Bearer token' } });
      expect(response.statusCode).toBe(200);
      expect(response.json().conversations.map((c: { id: string; tags: string[] }) => [c.id, c.tags])).toEqual([[conversation.id, [UNATTENDED_TAG]]]);
    } finally {
      await server.close();
    }
    const summary = startSummary({
      version: '1',
      database: 'db',
      url: 'http://127.0.0.1:3000',
      config: p.config,
      channels: p.channelStates(),
      desks: p.pluginStates(),
      flows: 0,
      unattended: await p.unattended.count(),
    });
    expect(summary).toMatch(/^ {2}hand-offs go +nowhere but this log: .*; 1 conversation waits unattended \(tagged in parley conversations list\)$/m);

    const other = (await agentIds()).find((id) => id !== conversation.assigneeId)!;
    await p.routing.assign(conversation.id, other, 'api');
    await settle(p);
    const taken = await db.prisma.conversation.findUniqueOrThrow({ where: { id: conversation.id } });
    expect(taken.assigneeId).toBe(other);
    expect(taken.tags).toEqual([]);
    expect(await p.unattended.count()).toBe(0);
    expect(await db.prisma.auditLog.count({ where: { entityId: conversation.id, action: 'conversation.tags', actor: 'routing' } })).toBe(2);
  }, 60_000);

  it('with a desk running: not flagged when an agent takes it, flagged while every agent is away, cleared when one comes back', async () => {
    db = await freshDatabase(dialect);
    const p = await start([runningDesk()]);
    const first = await handOffOne(p);
    expect(first.status).toBe('assigned');
    expect(first.tags ?? []).toEqual([]); // never tagged
    await resolveConversation(db, p.events, first.id, 'api');
    await settle(p);

    await setEveryone(p, 'away');
    const second = await handOffOne(p, '+989127654321');
    expect(second.status).toBe('waiting_for_agent');
    expect(second.id).not.toBe(first.id);
    expect(second.tags).toEqual([UNATTENDED_TAG]);

    await setEveryone(p, 'available');
    await settle(p);
    const taken = await db.prisma.conversation.findUniqueOrThrow({ where: { id: second.id } });
    expect(taken.status).toBe('assigned');
    expect(taken.tags).toEqual([]);
  }, 60_000);

  it('clears the flag when the conversation is resolved', async () => {
    db = await freshDatabase(dialect);
    const p = await start();
    const conversation = await handOffOne(p);
    expect(conversation.tags).toEqual([UNATTENDED_TAG]);
    await resolveConversation(db, p.events, conversation.id, 'api');
    await settle(p);
    expect((await db.prisma.conversation.findUniqueOrThrow({ where: { id: conversation.id } })).tags).toEqual([]);
  }, 60_000);

  it('a Slack desk started later posts the card of a conversation that waited unattended', async () => {
    db = await freshDatabase(dialect);
    const conversation = await handOffOne(await start());
    expect(conversation.tags).toEqual([UNATTENDED_TAG]);
    await parley!.stop();
    parley = undefined;

    fake = await new FakeSlack({ token: 'xoxb-test', channels: { CSUPPORT1: ['UBOT'] }, users: {}, minSpacingMs: 40 }).start();
    const config = readSlackConfig({
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: 'secret',
      SLACK_API_URL: fake.apiUrl,
      SLACK_PORT: '0',
      SLACK_DEFAULT_CHANNEL: 'CSUPPORT1',
    }) as SlackConfig;
    await start([new SlackDesk(config, { host: '127.0.0.1' })]);
    await eventually(async () => {
      expect(fake!.topLevel('CSUPPORT1')).toHaveLength(1);
      expect(await db.prisma.slackThread.count({ where: { conversationId: conversation.id } })).toBe(1);
    });
  }, 60_000);
});
