import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentText } from '../src/agent-text/agent-text.ts';
import { newId } from '../src/core/ids.ts';
import { conversationRef } from '../src/desk/desk.ts';
import { SlackNotifier } from '../src/desk/slack/notifier.ts';
import { SlackDesk } from '../src/desk/slack/plugin.ts';
import { readSlackConfig, type SlackConfig } from '../src/desk/slack/settings.ts';
import { type ConversationHandler, HumanHandledConversation } from '../src/pipeline/handler.ts';
import { AlertsConfigSchema } from '../src/routing/alerts.ts';
import { RoutingConfigSchema } from '../src/routing/config.ts';
import type { Parley } from '../src/runtime.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';
import { eventually } from './support/eventually.ts';
import { FakeSlack } from './support/fake-slack.ts';
import { FakeAdapter, testParley } from './support/parley.ts';

describe('routing notices in Slack', () => {
  const record = () => {
    const lines: { conversationId: string; text: string; key: string }[] = [];
    const posts: { channel: string; text: string; blocks?: unknown[] }[] = [];
    const notifier = new SlackNotifier(
      {
        notice: async (conversationId, text, key) => void lines.push({ conversationId, text, key }),
        post: async (args) => (posts.push(args), '1.0'),
        threadLink: async (conversationId) => (conversationId === 'c1' ? 'https://test.slack.com/archives/C1/p1800000000000001' : undefined),
      },
      async (id) => (id === 'a1' ? 'Sara <Lead>' : id),
      new AgentText('en', 'UTC'),
    );
    return { lines, posts, notifier };
  };

  it('puts SLA warnings, breaches and assignments in the thread once each, and alerts in their channel', async () => {
    const { lines, posts, notifier } = record();
    await notifier.notify({ kind: 'sla.warning', conversationId: 'c1', target: 'first_response', dueAt: '2026-11-23T10:30:00.000Z', team: 'support' });
    await notifier.notify({
      kind: 'sla.breached',
      conversationId: 'c1',
      target: 'first_response',
      dueAt: '2026-11-23T10:30:00.000Z',
      team: 'support',
      mention: '<!subteam^S0LEADS>',
      transferredTo: 'tier2',
    });
    await notifier.notify({ kind: 'assignment', conversationId: 'c1', agentId: 'a1', team: 'support' });
    await notifier.notify({ kind: 'alert', ruleId: 'r', text: 'Customer <Ali> filed 4 complaints in 30 days', slackChannel: 'C0LEADS' });
    await notifier.notify({ kind: 'alert', ruleId: 'r', text: 'email only', email: 'x@example.com' });
    expect(lines).toEqual([
      {
        conversationId: 'c1',
        text: ':hourglass_flowing_sand: The first response is due by 2026/11/23 10:30.',
        key: 'sla:first_response:warning:2026-11-23T10:30:00.000Z',
      },
      {
        conversationId: 'c1',
        text: ':rotating_light: The first response target (2026/11/23 10:30) was missed. <!subteam^S0LEADS> Escalated to tier2.',
        key: 'sla:first_response:breached:2026-11-23T10:30:00.000Z',
      },
      { conversationId: 'c1', text: ':bust_in_silhouette: Assigned to Sara &lt;Lead&gt;.', key: 'assignment:a1' },
    ]);
    expect(posts.map((p) => p.text)).toEqual([':warning: Customer &lt;Ali&gt; filed 4 complaints in 30 days']);
  });

  it('an alert names the customer, channel, conversation and tickets, mentions who the rule says, and links the thread', async () => {
    const { posts, notifier } = record();
    await notifier.notify({
      kind: 'alert',
      ruleId: 'unhappy',
      text: 'A customer rated 1 (CSAT).',
      slackChannel: 'C0CX',
      mention: '<!subteam^S0CX> <@U0LEAD>',
      customerId: 'k1',
      conversationId: 'c1',
      context: { customerName: 'علی <رضایی>', isKey: true, channel: 'whatsapp', conversationRef: '0a1b2c3d', ticketRefs: ['CMP-7K2M9', 'CMP-8P3Q1'] },
    });
    expect(posts).toHaveLength(1);
    const post = posts[0] as { text: string; blocks: unknown[] };
    expect(post.text).toBe(
      [
        ':warning: A customer rated 1 (CSAT). <!subteam^S0CX> <@U0LEAD>',
        'Customer: علی &lt;رضایی&gt; (key customer) · Channel: whatsapp · Conversation: 0a1b2c3d · Tickets: CMP-7K2M9, CMP-8P3Q1',
        '<https://test.slack.com/archives/C1/p1800000000000001|Open the conversation thread>',
      ].join('\n'),
    );
    expect(post.blocks).toContainEqual({
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: 'parley-link:thread',
          text: { type: 'plain_text', text: 'Open the conversation thread' },
          url: 'https://test.slack.com/archives/C1/p1800000000000001',
        },
      ],
    });
  });

  it('takes mentions from config only in the form Slack notifies', () => {
    const parse = (mention: unknown) => RoutingConfigSchema.safeParse({ teams: { support: { escalation: { mention } } } });
    const ok = parse(['<!subteam^S0123ABCD|@support-leads>', '<@U0123ABCD>']);
    expect(ok.success && ok.data.teams.support?.escalation.mention).toBe('<!subteam^S0123ABCD> <@U0123ABCD>');
    const plain = parse('@support-leads');
    expect(plain.success).toBe(false);
    expect(plain.error?.issues[0]?.path).toEqual(['teams', 'support', 'escalation', 'mention', 0]);
    expect(plain.error?.issues[0]?.message).toContain('"@support-leads" is plain text to Slack and notifies nobody');
    const rule = AlertsConfigSchema.safeParse({ rules: [{ id: 'r', when: { csat_at_most: 2 }, notify: { slack: 'C1', mention: 'support leads' } }] });
    expect(rule.success).toBe(false);
    expect(rule.error?.issues[0]?.path).toEqual(['rules', 0, 'notify', 'mention', 0]);
  });
});

const TOKEN = 'xoxb-test-token';
const SUPPORT = 'CSUPPORT1';
const ALERTS = 'CALERTS1';
const handOff: ConversationHandler = {
  name: 'hand-off',
  async handle(turn) {
    turn.handOff({ team: 'support' });
  },
};

describe.each(dialects)('an alert through the Slack Web API on %s', (dialect) => {
  let db: TestDatabase;
  let fake: FakeSlack;
  let parley: Parley;

  beforeEach(async () => {
    db = await freshDatabase(dialect);
    fake = await new FakeSlack({ token: TOKEN, channels: { [SUPPORT]: ['UBOT', 'UAGENT1'], [ALERTS]: ['UBOT'] }, users: {} }).start();
  });
  afterEach(async () => {
    await parley?.stop();
    await fake.stop();
    await db.dispose();
  });

  it('posts who, where and which tickets, with the rule mention and a button to the conversation thread', async () => {
    const config = readSlackConfig({
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_SIGNING_SECRET: 'secret',
      SLACK_API_URL: fake.apiUrl,
      SLACK_PORT: '0',
      SLACK_TEAM_CHANNELS: JSON.stringify({ support: SUPPORT }),
    }) as SlackConfig;
    const human = new HumanHandledConversation();
    parley = await testParley(db, {
      adapters: [new FakeAdapter('whatsapp')],
      handlers: (c) => (c.status === 'bot' ? handOff : human),
      env: { PARLEY_RATE_LIMITS: 'slack:recipient=1/100ms', PARLEY_DATA_DIR: join(tmpdir(), `parley-slack-${newId()}`) },
      plugins: [new SlackDesk(config, { host: '127.0.0.1' })],
      alertsConfig: AlertsConfigSchema.parse({
        rules: [{ id: 'unhappy', when: { csat_at_most: 2 }, notify: { slack: ALERTS, mention: '<!subteam^S0CXLEADS|@cx-leads>' } }],
      }),
    });
    await parley.start();
    await parley.inbox.accept({
      channel: 'whatsapp',
      externalId: 'wamid.1',
      sender: { address: '+989121234567', addressKind: 'phone', displayName: 'علی رضایی' },
      text: 'سلام',
      raw: {},
    });
    let cardTs = '';
    await eventually(() => {
      cardTs = fake.topLevel(SUPPORT)[0]?.ts ?? '';
      expect(cardTs).not.toBe('');
    });
    const conversation = await db.prisma.conversation.findFirstOrThrow();
    const ticketId = newId();
    await db.write(async (tx) => {
      await tx.ticket.create({
        data: {
          id: ticketId,
          ref: 'CMP-7K2M9',
          customerId: conversation.customerId,
          conversationId: conversation.id,
          kind: 'complaint',
          subject: 's',
          fields: {},
        },
      });
      await parley.events.emit(tx, [
        { type: 'survey.recorded', surveyId: newId(), customerId: conversation.customerId, conversationId: conversation.id, kind: 'csat', score: 1 },
      ]);
    });
    parley.events.notify();
    let alert: { text: string; blocks?: unknown[] } | undefined;
    await eventually(() => {
      alert = fake.topLevel(ALERTS)[0];
      expect(alert).toBeDefined();
    });
    const permalink = `https://test.slack.com/archives/${SUPPORT}/p${cardTs.replace('.', '')}`;
    expect(alert?.text).toBe(
      [
        ':warning: A customer rated 1 (CSAT). <!subteam^S0CXLEADS>',
        `Customer: علی رضایی · Channel: whatsapp · Conversation: ${conversationRef(conversation)} · Tickets: CMP-7K2M9`,
        `<${permalink}|Open the conversation thread>`,
      ].join('\n'),
    );
    expect(JSON.stringify(alert?.blocks)).toContain(`"url":"${permalink}"`);
    expect(fake.calls.some((c) => c.method === 'chat.getPermalink' && c.args.message_ts === cardTs)).toBe(true);
  });

  it("speaks the agents' language on their clock and calendar: Persian, Tehran time, Jalali date", async () => {
    const lines: string[] = [];
    const notifier = new SlackNotifier(
      { notice: async (_c, text) => void lines.push(text), post: async () => '1.0', threadLink: async () => undefined },
      async () => 'سارا',
      new AgentText('fa', 'Asia/Tehran'),
    );
    await notifier.notify({ kind: 'sla.warning', conversationId: 'c1', target: 'first_response', dueAt: '2026-11-23T10:30:00.000Z', team: 'support' });
    await notifier.notify({ kind: 'assignment', conversationId: 'c1', agentId: 'a1', team: 'support' });
    // 10:30 UTC is 14:00 in Tehran; 2026-11-23 is 2 Azar 1405.
    expect(lines).toEqual([':hourglass_flowing_sand: مهلت اولین پاسخ تا ۱۴۰۵/۰۹/۰۲ ۱۴:۰۰ است.', ':bust_in_silhouette: به سارا سپرده شد.']);
  });
});
