import { z } from 'zod';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config.ts';
import { SendError } from '../src/core/channel.ts';
import type { DomainEventOf } from '../src/core/events.ts';
import { newId } from '../src/core/ids.ts';
import { checkPlaceholders, fillPlaceholders } from '../src/desk/canned.ts';
import { conversationRef } from '../src/desk/desk.ts';
import { AgentText } from '../src/agent-text/agent-text.ts';
import { cardBlocks, type CardData } from '../src/desk/slack/card.ts';
import { noteText } from '../src/desk/slack/listeners.ts';
import { escapeMrkdwn } from '../src/desk/slack/mrkdwn.ts';
import { toSendError } from '../src/desk/slack/poster.ts';
import { readSlackConfig } from '../src/desk/slack/settings.ts';
import { CHUNK_LIMIT, formatMessages } from '../src/desk/slack/transcript.ts';
import { type ConversationHandler, HumanHandledConversation } from '../src/pipeline/handler.ts';
import { scheduleJobs } from '../src/pipeline/jobs.ts';
import type { Parley } from '../src/runtime.ts';
import { buildServer } from '../src/server/app.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';
import { FakeAdapter, settle, testParley } from './support/parley.ts';

describe('Slack desk settings', () => {
  const base = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' };

  it('is off without a bot token and says which variables turn it on', () => {
    const result = readSlackConfig({});
    expect(result).toHaveProperty('off');
    expect((result as { off: string }).off).toMatch(/SLACK_BOT_TOKEN.*SLACK_TEAM_CHANNELS.*SLACK_SIGNING_SECRET.*SLACK_APP_TOKEN/);
  });

  it('names the bad team key and the bad JSON', () => {
    expect(() => readSlackConfig({ ...base, SLACK_TEAM_CHANNELS: '{"support":"C012ABC","billing":"#billing"}' })).toThrow(
      /SLACK_TEAM_CHANNELS\."billing": is not a Slack channel id/,
    );
    expect(() => readSlackConfig({ ...base, SLACK_TEAM_CHANNELS: '{support: C1}' })).toThrow(/SLACK_TEAM_CHANNELS is not JSON/);
    expect(() => readSlackConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_DEFAULT_CHANNEL: 'C012ABC' })).toThrow(ConfigError);
    expect(() => readSlackConfig({ ...base })).toThrow(/SLACK_TEAM_CHANNELS or SLACK_DEFAULT_CHANNEL/);
    expect(() => readSlackConfig({ ...base, SLACK_DEFAULT_CHANNEL: 'C012ABC', SLACK_APP_TOKEN: 'xoxb-wrong' })).toThrow(/xapp-/);
  });

  it('reads a valid configuration with defaults', () => {
    const config = readSlackConfig({ ...base, SLACK_TEAM_CHANNELS: '{"support":"C012ABC","فروش":"C0SALES1"}' });
    expect(config).toMatchObject({
      port: 3001,
      apiUrl: 'https://slack.com/api/',
      notePrefixes: ['note:', '//'],
      surveyFlow: 'csat',
      teamChannels: { فروش: 'C0SALES1' },
    });
  });
});

describe('Slack text', () => {
  it('escapes control characters so customer text never mentions anyone', () => {
    expect(escapeMrkdwn('<!channel> & <@U123> <https://x|y> سلام')).toBe('&lt;!channel&gt; &amp; &lt;@U123&gt; &lt;https://x|y&gt; سلام');
  });

  it('recognizes note prefixes case-insensitively', () => {
    expect(noteText('NOTE: vip', ['note:', '//'])).toBe('vip');
    expect(noteText('  // call back', ['note:', '//'])).toBe('call back');
    expect(noteText('Hello', ['note:', '//'])).toBeUndefined();
  });

  it('coalesces messages into posts under the size limit, in order, never splitting one', () => {
    const messages = Array.from({ length: 60 }, (_, i) => ({
      id: `m${i}`,
      authorKind: 'customer' as const,
      authorName: 'علی',
      text: `${'x'.repeat(150)} ${i}`,
      attachments: [],
      createdAt: new Date(0),
      isInternalNote: false,
    }));
    const chunks = formatMessages(messages, new AgentText('en'));
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(chunk.text.length).toBeLessThanOrEqual(CHUNK_LIMIT);
    expect(chunks.flatMap((c) => c.messageIds)).toEqual(messages.map((m) => m.id));
    const condensed = formatMessages(messages, new AgentText('en'), { condensed: true, heading: 'T' });
    expect(condensed[0]?.text).toContain('20 earlier messages not shown');
    expect(condensed.flatMap((c) => c.messageIds)).toEqual(messages.map((m) => m.id));
  });

  it('maps Slack errors: 429 carries Retry-After, permanent errors are not retried', () => {
    const limited = toSendError('chat.postMessage', { code: 'slack_webapi_rate_limited_error', retryAfter: 3 });
    expect(limited).toMatchObject({ retryable: true, retryAfterMs: 3000 });
    expect(toSendError('chat.postMessage', { code: 'slack_webapi_platform_error', data: { error: 'channel_not_found' } })).toMatchObject({
      retryable: false,
      message: 'Slack chat.postMessage failed: channel_not_found',
    });
  });

  it('the card escapes customer data and shows what the flow collected', () => {
    const card: CardData = {
      conversation: {
        id: newId(),
        ref: 'K7Q3M9XA',
        channel: 'whatsapp',
        status: 'waiting_for_agent',
        priority: 'urgent',
        createdAt: new Date(),
        lastMessageAt: new Date(),
        firstResponseAt: null,
        resolvedAt: null,
        team: 'support',
        assignee: null,
        snoozedUntil: null,
      },
      customer: {
        name: '<!here> مریم',
        locale: 'fa',
        isKey: true,
        tags: ['vip'],
        identities: [{ channel: 'whatsapp', address: '+989121234567' }],
        pastConversations: 3,
        openTickets: 1,
        lastCsat: 4,
        lastNps: 9,
      },
      handoff: { team: 'support', priority: 'urgent', collected: { category: 'billing', description: 'charged <@U1> twice' }, note: undefined },
    };
    const json = JSON.stringify(cardBlocks(card, ['support', 'billing'], new AgentText('en')));
    expect(json).toContain('&lt;!here&gt; مریم');
    expect(json).not.toContain('<!here>');
    expect(json).toContain('charged &lt;@U1&gt; twice');
    expect(json).toContain('Key customer');
    expect(json).toContain('Past conversations:* 3');
    expect(json).toContain('Last CSAT:* 4');
    // In Persian: labels, buttons and numbers in the agents' language.
    const fa = JSON.stringify(cardBlocks(card, ['support'], new AgentText('fa', 'Asia/Tehran')));
    expect(fa).toContain('*مشتری کلیدی*');
    expect(fa).toContain('*گفتگوهای پیشین:* ۳');
    expect(fa).toContain('اولویت :red_circle: فوری');
    expect(fa).toContain('"text":"برمی‌دارم"');
    expect(fa).not.toContain('Claim');
  });
});

describe('canned responses', () => {
  it('fills placeholders with fallbacks and rejects unknown ones by name', () => {
    expect(fillPlaceholders('Hi {{customer.first_name|there}}, {{agent.name}} here.', { 'customer.first_name': 'Ali', 'agent.name': 'Sara' })).toBe(
      'Hi Ali, Sara here.',
    );
    expect(fillPlaceholders('سلام {{customer.first_name}}، خوش آمدید', {})).toBe('سلام، خوش آمدید');
    expect(fillPlaceholders('Hi {{ customer.first_name | there }}!', {})).toBe('Hi there!');
    expect(() => checkPlaceholders('Hi {{customer.nmae}}')).toThrow(/unknown placeholder \{\{customer.nmae\}\}/);
  });
});

const handOff: ConversationHandler = {
  name: 'handoff',
  async handle(turn) {
    turn.handOff({ team: 'support' });
  },
};

describe.each(dialects)('desk operations, rate-limited jobs and the desk API on %s', (dialect) => {
  let db: TestDatabase;
  let parley: Parley;
  let app: FastifyInstance;
  const auth = { authorization: 'Bearer t0ken' };

  beforeEach(async () => {
    db = await freshDatabase(dialect);
    const human = new HumanHandledConversation();
    parley = await testParley(db, {
      adapters: [new FakeAdapter()],
      handlers: (c) => (c.status === 'bot' ? handOff : human),
      env: { PARLEY_API_TOKEN: 't0ken' },
    });
    await parley.startChannels();
    app = await buildServer(parley);
  });
  afterEach(async () => {
    await app.close();
    await parley.stop();
    await db.dispose();
  });

  it('a job that reports retryAfterMs waits at least that long and keeps its attempts', async () => {
    let calls = 0;
    parley.jobs.register('limited', z.unknown(), async () => {
      calls++;
      if (calls <= 20) throw new SendError('slow down', { retryable: true, retryAfterMs: calls === 1 ? 60_000 : 0 });
    });
    await db.write((tx) => scheduleJobs(tx, db.dialect, [{ kind: 'limited', laneKey: 'l', payload: {} }]));
    await parley.jobs.runDue();
    const waiting = await db.prisma.job.findFirstOrThrow();
    expect(waiting).toMatchObject({ status: 'pending', attempts: 0, lastError: 'slow down' });
    expect(waiting.runAt.getTime()).toBeGreaterThanOrEqual(Date.now() + 55_000);
    await db.prisma.job.update({ where: { id: waiting.id }, data: { runAt: new Date() } });
    // 20 rate-limited runs (more than the 8 attempts a failing job gets), then success.
    for (let i = 0; i < 100 && calls <= 20; i++) await parley.jobs.drain();
    expect(await db.prisma.job.findFirstOrThrow()).toMatchObject({ status: 'done', attempts: 1 });
  });

  it('resolve, assign, hand back, transfer, reply and canned responses through /api/v1', async () => {
    const resolved: DomainEventOf<'conversation.resolved'>[] = [];
    parley.events.subscribe('conversation.resolved', 'test', async (e) => void resolved.push(e));
    await parley.inbox.accept({
      channel: 'whatsapp',
      externalId: 'w1',
      sender: { address: '+989121234567', addressKind: 'phone', displayName: 'مریم' },
      text: 'سلام',
      raw: {},
    });
    await settle(parley);
    const conversation = await db.prisma.conversation.findFirstOrThrow();
    const agent = await db.prisma.agent.create({ data: { id: newId(), name: 'Sara Ahmadi', email: 'sara@example.com' } });
    const ref = conversationRef(conversation);
    const post = (url: string, payload?: object) => app.inject({ method: 'POST', url, headers: auth, payload });

    const put = await app.inject({
      method: 'PUT',
      url: '/api/v1/canned-responses/greet',
      headers: auth,
      payload: { text: 'سلام {{customer.first_name|دوست عزیز}}، {{agent.first_name}} هستم' },
    });
    expect(put.statusCode).toBe(200);
    const bad = await app.inject({ method: 'PUT', url: '/api/v1/canned-responses/oops', headers: auth, payload: { text: 'Hi {{customer.nam}}' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('{{customer.nam}}');
    expect((await app.inject({ method: 'GET', url: '/api/v1/canned-responses', headers: auth })).json().cannedResponses).toHaveLength(1);

    const sent = await post(`/api/v1/conversations/${ref}/reply`, { agentId: agent.id, canned: 'greet' });
    expect(sent.statusCode).toBe(202);
    expect(sent.json().text).toBe('سلام مریم، Sara هستم');
    await settle(parley);
    const after = await db.prisma.conversation.findUniqueOrThrow({ where: { id: conversation.id } });
    expect(after).toMatchObject({ assigneeId: agent.id, status: 'assigned' });
    expect(after.firstResponseAt).not.toBeNull();

    const note = await post(`/api/v1/conversations/${conversation.id}/reply`, { agentId: agent.id, text: 'internal only', note: true });
    expect(note.statusCode).toBe(202);
    expect(await db.prisma.outboxItem.count()).toBe(1);
    const stranger = await post(`/api/v1/conversations/${conversation.id}/reply`, { agentId: 'nobody', text: 'who am I', note: true });
    expect(stranger.statusCode).toBe(404);
    expect(stranger.json().error.message).toBe('agent nobody not found');
    expect(await db.prisma.message.count({ where: { isInternalNote: true } })).toBe(1);

    expect((await post(`/api/v1/conversations/${conversation.id}/assign`, { agentId: null })).json().conversation).toMatchObject({
      assigneeId: null,
      status: 'waiting_for_agent',
    });
    expect((await post(`/api/v1/conversations/${conversation.id}/assign`, { agentId: 'nobody' })).statusCode).toBe(404);
    expect((await post(`/api/v1/conversations/${conversation.id}/transfer`, { team: 'billing' })).json().conversation.status).toBe('waiting_for_agent');
    expect((await post(`/api/v1/conversations/${conversation.id}/hand-back`)).json().conversation).toMatchObject({ status: 'bot', assigneeId: null });
    expect((await post(`/api/v1/conversations/${conversation.id}/snooze`, { until: 'tomorrow' })).json().error.message).toMatch(/^body: until/);
    expect((await post(`/api/v1/conversations/${conversation.id}/resolve`)).json().conversation.status).toBe('resolved');
    await settle(parley);
    expect(resolved).toMatchObject([{ conversationId: conversation.id, by: 'api' }]);
    expect((await post('/api/v1/conversations/ffffffff/resolve')).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url: '/api/v1/canned-responses/greet', headers: auth })).statusCode).toBe(204);
  });

  it('a snooze comes back when its time comes, without holding up the conversation', async () => {
    await parley.inbox.accept({ channel: 'whatsapp', externalId: 'w1', sender: { address: '+989121234567', addressKind: 'phone' }, text: 'hi', raw: {} });
    await settle(parley);
    const conversation = await db.prisma.conversation.findFirstOrThrow();
    const snoozes: (string | null)[] = [];
    parley.events.subscribe('conversation.snoozed', 'test', async (e) => void snoozes.push(e.until));
    await parley.desk.snooze(conversation.id, new Date(Date.now() + 3_600_000), 'api');
    await settle(parley);
    expect(snoozes).toHaveLength(1);
    const job = await db.prisma.job.findFirstOrThrow({ where: { kind: 'desk:unsnooze' } });
    await db.prisma.job.update({ where: { id: job.id }, data: { runAt: new Date() } });
    await db.prisma.conversationSnooze.update({ where: { conversationId: conversation.id }, data: { until: new Date(Date.now() - 1) } });
    await settle(parley);
    expect(snoozes).toEqual([expect.any(String), null]);
    expect(await db.prisma.conversationSnooze.count()).toBe(0);
  });
});

describe('parley canned (CLI)', () => {
  const run = promisify(execFile);
  it('adds, lists and removes canned responses; a bad placeholder is a clear error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-canned-'));
    const env = { ...process.env, DATABASE_URL: `file:${join(dir, 'parley.db')}`, LOG_LEVEL: 'warn' };
    try {
      const cli = (...args: string[]) => run(process.execPath, ['bin/parley.js', 'canned', ...args], { env });
      expect((await cli('add', 'thanks', 'Thanks', '{{customer.first_name|there}}!')).stdout).toBe('saved thanks\n');
      expect((await cli('list')).stdout).toBe('thanks\tThanks {{customer.first_name|there}}!\n');
      await expect(cli('add', 'bad', 'Hi {{name}}')).rejects.toMatchObject({ stderr: expect.stringContaining('unknown placeholder {{name}}') });
      expect((await cli('remove', 'thanks')).stdout).toBe('removed thanks\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // Four CLI processes one after the other: generous for a busy machine.
  }, 180_000);
});
