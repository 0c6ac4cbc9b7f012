import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mediaStoreDir } from '../src/core/media-store.ts';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsoleAdapter } from '../channels/console/index.ts';
import type { DomainEventOf } from '../src/core/events.ts';
import { newId } from '../src/core/ids.ts';
import type { InboundMessage } from '../src/core/message.ts';
import { saveCanned } from '../src/desk/canned.ts';
import { conversationRef } from '../src/desk/desk.ts';
import { SlackDesk } from '../src/desk/slack/plugin.ts';
import { readSlackConfig, type SlackConfig } from '../src/desk/slack/settings.ts';
import { type ConversationHandler, HumanHandledConversation } from '../src/pipeline/handler.ts';
import { RoutingConfigSchema } from '../src/routing/config.ts';
import type { Parley } from '../src/runtime.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';
import { classification, FakeOpenAI } from './support/fake-openai.ts';
import { FakeSlack, type PostedMessage, postSigned, sendAction, sendCommand, sendEvent } from './support/fake-slack.ts';
import { testCapabilities, testParley } from './support/parley.ts';
import { eventually } from './support/eventually.ts';

const SECRET = 'test-signing-secret';
const TOKEN = 'xoxb-test-token';
const SUPPORT = 'CSUPPORT1';
const BILLING = 'CBILLING1';

/** Stands in for a flow: hands the conversation to the support team on the first message. */
const complaintFlow: ConversationHandler = {
  name: 'complaint-flow',
  async handle(turn) {
    turn.reply({ text: 'Connecting you to a person.' });
    turn.handOff({ team: 'support', priority: 'high', note: 'asked for a human', collected: { category: 'delivery', description: 'سفارشم نرسیده' } });
  },
};

describe.each(dialects)('Slack agent desk end to end on %s', (dialect) => {
  let db: TestDatabase;
  let fake: FakeSlack;
  let parley: Parley;
  let desk: SlackDesk;
  let printed: string[];
  let adapter: ConsoleAdapter;
  let events: string;

  const start = async (env: Record<string, string> = {}, slackEnv: Record<string, string> = { SLACK_SIGNING_SECRET: SECRET }, routing: unknown = {}) => {
    const config = readSlackConfig({
      SLACK_BOT_TOKEN: TOKEN,
      ...slackEnv,
      SLACK_API_URL: fake.apiUrl,
      SLACK_PORT: '0',
      SLACK_TEAM_CHANNELS: JSON.stringify({ support: SUPPORT, billing: BILLING }),
      SLACK_DEFAULT_CHANNEL: SUPPORT,
    }) as SlackConfig;
    desk = new SlackDesk(config, { host: '127.0.0.1' });
    printed = [];
    adapter = new ConsoleAdapter('console', { ...testCapabilities, addressKind: 'opaque' }, (text) => printed.push(text));
    const human = new HumanHandledConversation();
    parley = await testParley(db, {
      adapters: [adapter],
      handlers: (c) => (c.status === 'bot' ? complaintFlow : human),
      // One post per 100 ms per Slack channel keeps the test quick; production uses 1/s.
      env: { PARLEY_RATE_LIMITS: 'slack:recipient=1/100ms', PARLEY_DATA_DIR: join(tmpdir(), `parley-slack-${newId()}`), ...env },
      plugins: [desk],
      routingConfig: RoutingConfigSchema.parse(routing),
    });
    await parley.start();
    events = `http://127.0.0.1:${desk.port}/slack/events`;
  };

  beforeEach(async () => {
    db = await freshDatabase(dialect);
    fake = await new FakeSlack({
      token: TOKEN,
      channels: { [SUPPORT]: ['UBOT', 'UAGENT1', 'UAGENT2'], [BILLING]: ['UBOT', 'UAGENT2'] },
      users: { UAGENT1: { name: 'Sara Ahmadi', email: 'sara@example.com' }, UAGENT2: { name: 'Omid', email: 'omid@example.com' }, UOUTSIDER: { name: 'Eve' } },
      // Parley spaces posts 100 ms apart; the margin absorbs a request delayed on a busy machine.
      minSpacingMs: 40,
      appToken: 'xapp-test-token',
    }).start();
  });
  afterEach(async () => {
    await parley?.stop();
    await fake.stop();
    await db.dispose();
  });

  let seq = 0;
  const customerWrites = (text: string, extra: Partial<InboundMessage> = {}) =>
    parley.inbox.accept({
      channel: 'console',
      externalId: `c${++seq}`,
      sender: { address: 'ali', addressKind: 'opaque', displayName: 'Ali Rezaei' },
      text,
      raw: {},
      ...extra,
    });

  const handedOffThread = async () => {
    let card: { ts: string; blocks?: unknown[]; text: string } | undefined;
    await eventually(() => {
      card = fake.topLevel(SUPPORT)[0];
      expect(card).toBeDefined();
      expect(fake.threadOf(SUPPORT, card!.ts).length).toBeGreaterThan(0);
    });
    return card!;
  };

  it('hand-off posts the card and transcript; replies reach the customer, notes do not; resolve fires the survey; a reply after resolution reopens', async () => {
    await start();
    // Sara already has an agent record: the Slack user is matched by email.
    await db.prisma.agent.create({ data: { id: newId(), name: 'Sara A.', email: 'sara@example.com' } });
    const resolvedEvents: DomainEventOf<'conversation.resolved'>[] = [];
    parley.events.subscribe('conversation.resolved', 'test-csat', async (event) => {
      resolvedEvents.push(event);
    });

    await customerWrites('سلام، سفارشم نرسیده <!channel> & <@U999> *bold*');
    const card = await handedOffThread();
    const conversation = await db.prisma.conversation.findFirstOrThrow();
    expect(conversation.status).toBe('waiting_for_agent');

    const cardJson = JSON.stringify(card.blocks);
    expect(cardJson).toContain('Ali Rezaei');
    expect(cardJson).toContain('delivery');
    expect(cardJson).toContain('سفارشم نرسیده');
    expect(cardJson).toContain('high');
    expect(cardJson).toContain(conversationRef(conversation));
    for (const action of ['parley:claim', 'parley:assign', 'parley:resolve', 'parley:snooze', 'parley:transfer', 'parley:survey'])
      expect(cardJson).toContain(action);

    const transcript = fake
      .threadOf(SUPPORT, card.ts)
      .map((m) => m.text)
      .join('\n');
    expect(transcript).toContain('Transcript so far');
    expect(transcript).toContain('سلام، سفارشم نرسیده &lt;!channel&gt; &amp; &lt;@U999&gt;');
    expect(transcript).toContain('Connecting you to a person.');
    // Customer text never becomes a mention or a broadcast.
    for (const m of fake.messages) expect(m.text).not.toMatch(/<!channel>|<@U999>/);

    // An agent answers in the thread: the customer gets it on their channel, under the agent's name.
    const reply = await sendEvent(events, SECRET, {
      type: 'message',
      channel: SUPPORT,
      user: 'UAGENT1',
      text: 'Hi Ali, checking your order now',
      ts: '1800000100.000001',
      thread_ts: card.ts,
    });
    expect(reply.status).toBe(200);
    await eventually(() => expect(printed).toContain('Hi Ali, checking your order now'));
    const agentMessage = await db.prisma.message.findFirstOrThrow({ where: { authorKind: 'agent' }, include: { agent: true } });
    expect(agentMessage.agent?.email).toBe('sara@example.com');
    expect(agentMessage.channel).toBe('console');
    const assigned = await db.prisma.conversation.findUniqueOrThrow({ where: { id: conversation.id } });
    expect(assigned.assigneeId).toBe(agentMessage.agentId);
    expect(assigned.status).toBe('assigned');
    expect(assigned.firstResponseAt).not.toBeNull();
    // The first reply assigned it through routing's assignment: its "assigned to" notice reaches the thread.
    await eventually(() => expect(fake.threadOf(SUPPORT, card.ts).filter((m) => m.text.includes('Assigned to Sara'))).toHaveLength(1));
    // Delivered: a check mark on the agent's Slack message.
    await eventually(() => expect(fake.reactions).toContainEqual({ channel: SUPPORT, timestamp: '1800000100.000001', name: 'white_check_mark' }));

    // Slack redelivers the same event: it is not sent twice.
    await sendEvent(events, SECRET, {
      type: 'message',
      channel: SUPPORT,
      user: 'UAGENT1',
      text: 'Hi Ali, checking your order now',
      ts: '1800000100.000001',
      thread_ts: card.ts,
    });
    // Parley's own posts (bot messages) never loop back.
    await sendEvent(events, SECRET, {
      type: 'message',
      channel: SUPPORT,
      user: 'UBOT',
      bot_id: 'BBOT',
      text: 'posted by parley',
      ts: '1800000100.000002',
      thread_ts: card.ts,
    });

    // Internal notes are stored, marked, and never sent.
    await sendEvent(events, SECRET, {
      type: 'message',
      channel: SUPPORT,
      user: 'UAGENT1',
      text: 'note: key customer, be generous',
      ts: '1800000100.000003',
      thread_ts: card.ts,
    });
    await sendEvent(events, SECRET, {
      type: 'message',
      channel: SUPPORT,
      user: 'UAGENT2',
      text: '// courier says tomorrow',
      ts: '1800000100.000004',
      thread_ts: card.ts,
    });
    await eventually(() => expect(fake.reactions.filter((r) => r.name === 'memo').map((r) => r.timestamp)).toEqual(['1800000100.000003', '1800000100.000004']));
    const notes = await db.prisma.message.findMany({ where: { isInternalNote: true }, orderBy: { id: 'asc' } });
    expect(notes.map((n) => n.text)).toEqual(['key customer, be generous', 'courier says tomorrow']);
    expect(await db.prisma.outboxItem.count({ where: { messageId: { in: notes.map((n) => n.id) } } })).toBe(0);

    // Someone outside the team's channel cannot answer for it.
    await sendEvent(events, SECRET, {
      type: 'message',
      channel: SUPPORT,
      user: 'UOUTSIDER',
      text: 'I am not on the team',
      ts: '1800000100.000005',
      thread_ts: card.ts,
    });
    await eventually(() => expect(fake.ephemerals.some((e) => e.user === 'UOUTSIDER' && e.text.includes('only members'))).toBe(true));

    await parley.dispatcher.drain();
    expect(printed.filter((p) => p !== 'Connecting you to a person.')).toEqual(['Hi Ali, checking your order now']);

    // Resolve from the card: the conversation closes and conversation.resolved reaches its subscriber.
    const resolved = await sendAction(events, SECRET, {
      user: 'UAGENT1',
      channel: SUPPORT,
      messageTs: card.ts,
      action: { action_id: 'parley:resolve', type: 'button', value: conversation.id },
    });
    expect(resolved.status).toBe(200);
    await eventually(() => expect(resolvedEvents).toHaveLength(1));
    expect(resolvedEvents[0]).toMatchObject({ conversationId: conversation.id, by: `agent:${agentMessage.agentId}` });
    expect((await db.prisma.conversation.findUniqueOrThrow({ where: { id: conversation.id } })).status).toBe('resolved');
    await eventually(() => {
      const cardNow = fake.messages.find((m) => m.ts === card.ts);
      expect(JSON.stringify(cardNow?.updates.at(-1)?.blocks)).toContain('resolved');
      expect(fake.threadOf(SUPPORT, card.ts).some((m) => m.text.includes('Resolved by <@UAGENT1>'))).toBe(true);
    });

    // The customer writes again within the reopen window: same conversation, same thread.
    await customerWrites('یک سوال دیگر');
    await eventually(() => {
      const thread = fake.threadOf(SUPPORT, card.ts).map((m) => m.text);
      expect(thread.some((t) => t.includes('reopened'))).toBe(true);
      expect(thread.some((t) => t.includes('یک سوال دیگر'))).toBe(true);
    });
    expect(fake.topLevel(SUPPORT)).toHaveLength(1);
    expect(await db.prisma.conversation.count()).toBe(1);
    expect((await db.prisma.conversation.findUniqueOrThrow({ where: { id: conversation.id } })).status).toBe('assigned');
  });

  it('a customer’s edit, deletion and reaction show in the thread, quoting the message they change', async () => {
    await start();
    await customerWrites('سلام، سفارشم نرسیده');
    const original = `c${seq}`;
    const card = await handedOffThread();
    await customerWrites('شماره کارتم 6037-9911 است');
    const secret = `c${seq}`;
    await customerWrites('', { text: undefined, amends: { kind: 'edit', target: original, text: 'سلام، سفارش ۱۲۳۴ نرسیده' } });
    await customerWrites('', { text: undefined, amends: { kind: 'revoke', target: secret } });
    await customerWrites('', { text: undefined, amends: { kind: 'reaction', target: original, emoji: '👍' } });
    await eventually(() => {
      const thread = fake
        .threadOf(SUPPORT, card.ts)
        .map((m) => m.text)
        .join('\n');
      expect(thread).toContain('edited “سلام، سفارشم نرسیده” to: سلام، سفارش ۱۲۳۴ نرسیده');
      expect(thread).toContain('deleted “شماره کارتم 6037-9911 است”');
      expect(thread).toContain('reacted 👍 to “سلام، سفارش ۱۲۳۴ نرسیده”');
    });
    // None of them was taken as a new question by the bot.
    expect(printed.filter((p) => p.includes('👍') || p.includes('edited'))).toEqual([]);
  });

  it('a burst of 30 customer messages arrives complete and in order under the rate limit, also after a 429', async () => {
    await start();
    await customerWrites('first');
    const card = await handedOffThread();
    fake.rateLimitNext('chat.postMessage', 1);
    const burst = Array.from({ length: 30 }, (_, i) => `پیام ${i + 1} of the burst`);
    for (const text of burst) await customerWrites(text);
    await eventually(() => {
      const text = fake
        .threadOf(SUPPORT, card.ts)
        .map((m) => m.text)
        .join('\n');
      for (const line of burst) expect(text).toContain(line);
    });
    const text = fake
      .threadOf(SUPPORT, card.ts)
      .map((m) => m.text)
      .join('\n');
    const positions = burst.map((line) => (text.indexOf(`${line}\n`) >= 0 ? text.indexOf(`${line}\n`) : text.indexOf(line)));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    // Nothing twice; fewer posts than messages (coalesced); the 429 was answered and honoured.
    for (const line of burst) expect(text.split(line).length - 1).toBe(1);
    const burstPosts = fake.threadOf(SUPPORT, card.ts).filter((m) => burst.some((line) => m.text.includes(line)));
    expect(burstPosts.length).toBeLessThan(30);
    expect(fake.rateLimited).toBe(1);
    expect(fake.violations).toBe(0);
    // Each post is recorded right after Slack took it.
    await eventually(async () => expect(await db.prisma.slackPost.count({ where: { kind: 'synced' } })).toBe(await db.prisma.message.count()));
  });

  it('claim, assign, snooze, transfer, survey and hand back from the card; bad signatures are refused', async () => {
    await start();
    const flows: DomainEventOf<'flow.start_requested'>[] = [];
    parley.events.subscribe('flow.start_requested', 'test-flows', async (event) => {
      flows.push(event);
    });
    await customerWrites('I need help');
    const card = await handedOffThread();
    const conversation = await db.prisma.conversation.findFirstOrThrow();
    const act = (user: string, action: Record<string, unknown>) => sendAction(events, SECRET, { user, channel: SUPPORT, messageTs: card.ts, action });

    const forged = await postSigned(events, SECRET, JSON.stringify({ type: 'event_callback', event: {} }), 'application/json', { signature: 'v0=deadbeef' });
    expect(forged.status).toBe(401);

    await act('UAGENT1', { action_id: 'parley:claim', type: 'button', value: conversation.id });
    const sara = await db.prisma.agent.findUniqueOrThrow({ where: { slackUserId: 'UAGENT1' } });
    expect((await db.prisma.conversation.findUniqueOrThrow({ where: { id: conversation.id } })).assigneeId).toBe(sara.id);
    // A claim is routing's assignment: its "assigned to" notice reaches the thread.
    await eventually(() => expect(fake.threadOf(SUPPORT, card.ts).some((m) => m.text.includes('Assigned to Sara Ahmadi'))).toBe(true));

    await act('UAGENT1', { action_id: 'parley:assign', type: 'users_select', selected_user: 'UAGENT2' });
    const omid = await db.prisma.agent.findUniqueOrThrow({ where: { slackUserId: 'UAGENT2' } });
    expect((await db.prisma.conversation.findUniqueOrThrow({ where: { id: conversation.id } })).assigneeId).toBe(omid.id);
    // Assigning to someone outside the channel is refused and says why.
    await act('UAGENT1', { action_id: 'parley:assign', type: 'users_select', selected_user: 'UOUTSIDER' });
    expect(fake.ephemerals.at(-1)?.text).toContain('only members');
    expect((await db.prisma.conversation.findUniqueOrThrow({ where: { id: conversation.id } })).assigneeId).toBe(omid.id);

    await act('UAGENT2', { action_id: 'parley:snooze', type: 'static_select', selected_option: { value: '4h' } });
    const snooze = await db.prisma.conversationSnooze.findUniqueOrThrow({ where: { conversationId: conversation.id } });
    expect(snooze.until.getTime()).toBeGreaterThan(Date.now() + 3 * 3_600_000);
    await eventually(() => expect(JSON.stringify(fake.messages.find((m) => m.ts === card.ts)?.updates.at(-1)?.blocks)).toContain('Snoozed until'));

    await act('UAGENT2', { action_id: 'parley:survey', type: 'button', value: conversation.id });
    await eventually(() => expect(flows).toMatchObject([{ conversationId: conversation.id, flowId: 'csat', by: `agent:${omid.id}` }]));

    // Transfer: the billing channel gets a new card and the transcript; the old thread links to it.
    await act('UAGENT2', { action_id: 'parley:transfer', type: 'static_select', selected_option: { value: 'billing' } });
    await eventually(() => {
      const billingCard = fake.topLevel(BILLING)[0];
      expect(billingCard).toBeDefined();
      expect(
        fake
          .threadOf(BILLING, billingCard!.ts)
          .map((m) => m.text)
          .join('\n'),
      ).toContain('I need help');
      expect(fake.threadOf(SUPPORT, card.ts).some((m) => m.text.includes('Transferred to *billing*'))).toBe(true);
    });
    const moved = await db.prisma.conversation.findUniqueOrThrow({ where: { id: conversation.id }, include: { team: true } });
    expect(moved).toMatchObject({ status: 'waiting_for_agent', assigneeId: null });
    expect(moved.team?.name).toBe('billing');
    // Sara is not in billing: she can no longer answer in the old thread.
    await sendEvent(events, SECRET, { type: 'message', channel: SUPPORT, user: 'UAGENT1', text: 'still me', ts: '1800000200.000001', thread_ts: card.ts });
    expect(fake.ephemerals.at(-1)?.text).toContain('moved to');

    // The old card's buttons no longer act.
    await act('UAGENT2', { action_id: 'parley:resolve', type: 'button', value: conversation.id });
    expect(fake.ephemerals.at(-1)?.text).toContain(`moved to <#${BILLING}>`);
    expect((await db.prisma.conversation.findUniqueOrThrow({ where: { id: conversation.id } })).status).toBe('waiting_for_agent');

    const billingCard = fake.topLevel(BILLING)[0]!;
    await sendAction(events, SECRET, {
      user: 'UAGENT2',
      channel: BILLING,
      messageTs: billingCard.ts,
      action: { action_id: 'parley:hand_back', type: 'button', value: conversation.id },
    });
    expect((await db.prisma.conversation.findUniqueOrThrow({ where: { id: conversation.id } })).status).toBe('bot');
    await eventually(() => expect(fake.threadOf(BILLING, billingCard.ts).some((m) => m.text.includes('Handed back to the bot'))).toBe(true));
  });

  it('a merge suggestion on the card: "Merge" merges the two records, and the card shows churn risk', async () => {
    await start();
    const other = await db.prisma.customer.create({
      data: { id: newId(), name: 'Ali R.', attributes: {}, tags: [], firstSeenAt: new Date(Date.now() - 86_400_000) },
    });
    await customerWrites('I need help');
    const card = await handedOffThread();
    const conversation = await db.prisma.conversation.findFirstOrThrow();
    const suggestion = await db.prisma.mergeSuggestion.create({
      data: { id: newId(), customerId: other.id, otherId: conversation.customerId, matchedBy: 'email', value: 'ali@example.com' },
    });
    const act = (action: Record<string, unknown>) => sendAction(events, SECRET, { user: 'UAGENT1', channel: SUPPORT, messageTs: card.ts, action });
    // A claim refreshes the card, which now carries the suggestion.
    await act({ action_id: 'parley:claim', type: 'button', value: conversation.id });
    let shown = '';
    await eventually(() => {
      shown = JSON.stringify(fake.topLevel(SUPPORT)[0]?.updates.at(-1)?.blocks ?? []);
      expect(shown).toContain('parley:merge_accept');
    });
    expect(shown).toContain('Churn risk');
    expect(shown).toContain('ali@example.com');
    expect(shown).toContain('Ali R.');
    await act({ action_id: 'parley:merge_accept', type: 'button', value: suggestion.id });
    await eventually(async () => expect((await db.prisma.mergeSuggestion.findUniqueOrThrow({ where: { id: suggestion.id } })).status).toBe('accepted'));
    expect((await db.prisma.customer.findUniqueOrThrow({ where: { id: conversation.customerId } })).mergedIntoId).toBe(other.id);
    const merge = await db.prisma.customerMerge.findFirstOrThrow();
    expect(merge.actor).toMatch(/^agent:/);
    await eventually(() => expect(fake.ephemerals.some((e) => e.text.includes(`parley customers unmerge ${merge.id}`))).toBe(true));
  });

  it("in the agents' language (fa): the snooze menu, /parley help, lookup and resolve, and the answer to a merge suggestion", async () => {
    await start({ PARLEY_AGENT_LOCALE: 'fa' });
    await customerWrites('سلام', { sender: { address: 'ali', addressKind: 'opaque', displayName: 'Ali Rezaei' } });
    const card = await handedOffThread();
    const conversation = await db.prisma.conversation.findFirstOrThrow();
    await db.prisma.customer.update({ where: { id: conversation.customerId }, data: { name: 'Ali Rezaei' } });
    const menu = JSON.stringify(fake.topLevel(SUPPORT)[0]?.blocks ?? []);
    for (const label of ['۱ ساعت', '۴ ساعت', '۱ روز', '۱ هفته']) expect(menu).toContain(`"text":"${label}"`);
    expect(menu).not.toContain('1 hour');

    const response = await sendCommand(events, SECRET, { user: 'UAGENT1', channel: SUPPORT, text: 'lookup Ali' });
    const found = (JSON.parse(response.text) as { text: string }).text;
    expect(found).toContain('*Ali Rezaei*');
    expect(found).toContain(`گفتگوها: ۱ · درخواست‌های باز: ۰ · آخرین: \`${conversationRef(conversation)}\` (`);
    const command = async (text: string) =>
      (JSON.parse((await sendCommand(events, SECRET, { user: 'UAGENT1', channel: SUPPORT, text })).text) as { text: string }).text;
    const help = await command('help');
    expect(help).toContain('فرمان‌های */parley*');
    expect(help).toContain('`/parley resolve <conversation>` بستن گفتگو (نظرسنجی CSAT پس از آن می‌آید)');
    expect(help).not.toContain('give it back');
    expect(await command('lookup nobody-here')).toBe('هیچ مشتری‌ای با «nobody-here» جور نیست.');

    const other = await db.prisma.customer.create({ data: { id: newId(), name: 'Ali R.', attributes: {}, tags: [] } });
    const suggestion = await db.prisma.mergeSuggestion.create({
      data: { id: newId(), customerId: other.id, otherId: conversation.customerId, matchedBy: 'email', value: 'ali@example.com' },
    });
    await sendAction(events, SECRET, {
      user: 'UAGENT1',
      channel: SUPPORT,
      messageTs: card.ts,
      action: { action_id: 'parley:merge_reject', type: 'button', value: suggestion.id },
    });
    await eventually(() => expect(fake.ephemerals.map((e) => e.text)).toContain('ثبت شد: این دو یک نفر نیستند.'));
    expect((await db.prisma.mergeSuggestion.findUniqueOrThrow({ where: { id: suggestion.id } })).status).toBe('rejected');
    // A second agent (or a second click) on the decided suggestion is told so in the agents' language.
    const ephemeralsBefore = fake.ephemerals.length;
    await sendAction(events, SECRET, {
      user: 'UAGENT1',
      channel: SUPPORT,
      messageTs: card.ts,
      action: { action_id: 'parley:merge_accept', type: 'button', value: suggestion.id },
    });
    await eventually(() => expect(fake.ephemerals.length).toBeGreaterThan(ephemeralsBefore));
    expect(fake.ephemerals.at(-1)?.text).toMatch(new RegExp(`^:warning: پیشنهاد ادغام ${suggestion.id} را پیش‌تر agent:\\S+ در \\S+ رد کرده است$`));
    expect(await command(`resolve ${conversationRef(conversation)}`)).toBe(`گفتگوی \`${conversationRef(conversation)}\` بسته شد.`);

    // Refused actions say why in the agents' language.
    const refusal = async (action: Record<string, unknown>) => {
      const before = fake.ephemerals.length;
      await sendAction(events, SECRET, { user: 'UAGENT1', channel: SUPPORT, messageTs: card.ts, action });
      await eventually(() => expect(fake.ephemerals.length).toBeGreaterThan(before));
      return fake.ephemerals.at(-1)?.text;
    };
    expect(await refusal({ action_id: 'parley:claim', type: 'button', value: conversation.id })).toBe(
      `:warning: گفتگوی ${conversation.id} بسته شده است؛ نمی‌توان آن را واگذار کرد`,
    );
    expect(await refusal({ action_id: 'parley:assign', type: 'users_select', selected_user: 'UOUTSIDER' })).toBe(
      `:warning: فقط اعضای <#${SUPPORT}> روی گفتگوهای آن کار می‌کنند: اول به کانال بپیوندید`,
    );
    expect(await command('resolve nosuchref')).toBe(':warning: گفتگوی "nosuchref" پیدا نشد');
  });

  it('an SLA escalation moves the conversation like a transfer: a card in the new team channel, a link from the old thread', async () => {
    await start({}, undefined, {
      teams: { support: { escalation: { mention: '<!subteam^S0LEADS>', transfer_to: 'billing' } }, billing: { strategy: 'manual' } },
      sla: { high: { first_response: '1s' } },
    });
    const handedOff: DomainEventOf<'conversation.handed_off'>[] = [];
    parley.events.subscribe('conversation.handed_off', 'test-escalation', async (event) => void handedOff.push(event));
    await customerWrites('I need help');
    const card = await handedOffThread();
    const conversation = await db.prisma.conversation.findFirstOrThrow();
    // Nobody answers within the second: the first-response target is missed and billing takes over.
    await eventually(() => {
      const billingCard = fake.topLevel(BILLING)[0];
      expect(billingCard).toBeDefined();
      expect(
        fake
          .threadOf(BILLING, billingCard!.ts)
          .map((m) => m.text)
          .join('\n'),
      ).toContain('I need help');
      expect(fake.threadOf(SUPPORT, card.ts).some((m) => m.text.includes('Transferred to *billing*'))).toBe(true);
      expect(fake.messages.some((m) => m.text.includes('was missed. <!subteam^S0LEADS> Escalated to billing.'))).toBe(true);
    });
    const moved = await db.prisma.conversation.findUniqueOrThrow({ where: { id: conversation.id }, include: { team: true } });
    expect(moved).toMatchObject({ status: 'waiting_for_agent', assigneeId: null });
    expect(moved.team?.name).toBe('billing');
    // Every subscriber had each hand-off (the escalation's too), and there was one more, not two.
    await eventually(async () =>
      expect(await db.prisma.job.count({ where: { kind: { startsWith: 'event:conversation.handed_off:' }, status: { not: 'done' } } })).toBe(0),
    );
    expect(handedOff.map((e) => [e.team, e.escalation])).toEqual([
      ['support', undefined],
      ['billing', 'first_response'],
    ]);
    expect(fake.topLevel(BILLING)).toHaveLength(1);
    expect(fake.topLevel(SUPPORT)).toHaveLength(1);
  });

  it('/parley: canned responses with placeholders, customer lookup, resolve by ref, away and back', async () => {
    await start();
    await saveCanned(db, 'thanks', 'Thank you {{customer.first_name|there}}, {{agent.first_name}} here. Ref {{conversation.ref}}.');
    await customerWrites('hello', { sender: { address: 'ali', addressKind: 'opaque', displayName: 'Ali Rezaei' } });
    const card = await handedOffThread();
    const conversation = await db.prisma.conversation.findFirstOrThrow();
    await db.prisma.customer.update({ where: { id: conversation.customerId }, data: { name: 'Ali Rezaei' } });
    const ref = conversationRef(conversation);
    const command = async (user: string, text: string) => {
      const response = await sendCommand(events, SECRET, { user, channel: SUPPORT, text });
      expect(response.status).toBe(200);
      return (JSON.parse(response.text) as { text: string; response_type: string }).text;
    };

    expect(await command('UAGENT1', 'canned')).toContain('*thanks*');
    expect(await command('UAGENT1', `canned thanks ${ref}`)).toContain(`Thank you Ali, Sara here. Ref ${ref}.`);
    await eventually(() => expect(printed).toContain(`Thank you Ali, Sara here. Ref ${ref}.`));

    // "!name" in the thread sends the canned response too.
    await sendEvent(events, SECRET, { type: 'message', channel: SUPPORT, user: 'UAGENT1', text: '!thanks', ts: '1800000300.000001', thread_ts: card.ts });
    await eventually(() => expect(printed.filter((p) => p.startsWith('Thank you Ali'))).toHaveLength(2));

    const found = await command('UAGENT1', 'lookup Ali');
    expect(found).toContain('*Ali Rezaei*');
    expect(found).toContain(`Conversations: 1 · open tickets: 0 · last: \`${ref}\` (`);
    expect(await command('UAGENT1', 'lookup nobody-here')).toContain('No customer matches');
    expect(await command('UOUTSIDER', `resolve ${ref}`)).toContain('/parley is for agents');
    expect(await command('UOUTSIDER', 'lookup Ali')).toContain('/parley is for agents');
    expect(await command('UOUTSIDER', 'help')).toContain('/parley resolve');
    expect(await command('UAGENT1', 'away')).toContain('away');
    expect((await db.prisma.agent.findUniqueOrThrow({ where: { slackUserId: 'UAGENT1' } })).availability).toBe('away');
    expect(await command('UAGENT1', 'back')).toContain('available');
    expect(await command('UAGENT1', `resolve ${ref}`)).toContain('Resolved');
    expect((await db.prisma.conversation.findUniqueOrThrow({ where: { id: conversation.id } })).status).toBe('resolved');
    expect(await command('UAGENT1', 'frobnicate')).toContain('unknown command "frobnicate"');
  });

  it('attachments: a customer file is uploaded to the thread; an agent file reaches the customer', async () => {
    await start();
    // Only files in the media store are uploaded: a channel saved this one there.
    const directory = join(mediaStoreDir(parley.config.PARLEY_DATA_DIR), 'test');
    mkdirSync(directory, { recursive: true });
    const path = join(directory, `parley-slack-${newId()}.txt`);
    writeFileSync(path, 'receipt contents');
    const outside = join(tmpdir(), `parley-slack-${newId()}.txt`);
    writeFileSync(outside, 'not for Slack');
    await customerWrites('my receipt', {
      attachments: [
        { kind: 'document', url: pathToFileURL(path).href, fileName: 'receipt.txt' },
        { kind: 'document', url: pathToFileURL(outside).href, fileName: 'passwd' },
      ],
    });
    const card = await handedOffThread();
    await eventually(() => expect(fake.uploads).toHaveLength(1));
    expect(fake.uploads[0]).toMatchObject({ channel_id: SUPPORT, thread_ts: card.ts, filename: 'receipt.txt' });
    expect(fake.uploads[0]?.bytes.toString()).toBe('receipt contents');

    fake.files.set('F900', { name: 'label.pdf', mimetype: 'application/pdf', bytes: Buffer.from('%PDF-1.4 label') });
    await sendEvent(events, SECRET, {
      type: 'message',
      subtype: 'file_share',
      channel: SUPPORT,
      user: 'UAGENT1',
      text: 'Here is your return label',
      ts: '1800000400.000001',
      thread_ts: card.ts,
      files: [{ id: 'F900', name: 'label.pdf', mimetype: 'application/pdf', size: 14, url_private_download: `${fake.url}/files/F900` }],
    });
    await eventually(() => expect(printed.some((p) => p.includes('Here is your return label') && p.includes('label.pdf'))).toBe(true));
    const sent = await db.prisma.message.findFirstOrThrow({ where: { authorKind: 'agent' } });
    expect(sent.attachments).toMatchObject([{ kind: 'document', fileName: 'label.pdf', mimeType: 'application/pdf' }]);
  });

  it("an agent who answers a card before Parley has Slack's answer to posting it still reaches the customer, once", async () => {
    await start();
    // Slack shows the card to the channel; its answer to chat.postMessage is slow to come back.
    const release = fake.hold('chat.postMessage');
    await customerWrites('my parcel is late');
    let card: PostedMessage | undefined;
    await eventually(() => {
      card = fake.topLevel(SUPPORT)[0];
      expect(card).toBeDefined();
    });
    expect(card!.metadata).toMatchObject({ event_type: 'parley_conversation' });
    expect(await db.prisma.slackThread.count()).toBe(0);
    const answered = await sendEvent(events, SECRET, {
      type: 'message',
      channel: SUPPORT,
      user: 'UAGENT1',
      text: 'On it, Ali',
      ts: '1800000600.000001',
      thread_ts: card!.ts,
      parent_user_id: 'UBOT',
    });
    expect(answered.status).toBe(200);
    expect(await db.prisma.message.count({ where: { authorKind: 'agent' } })).toBe(1);
    release('answer');
    await eventually(() => expect(printed.filter((p) => p.includes('On it, Ali'))).toHaveLength(1));
    // The hand-off job's record of its post and the reply's are one thread, with the hand-off's details.
    await eventually(() => expect(fake.threadOf(SUPPORT, card!.ts).some((m) => m.text.includes('my parcel is late'))).toBe(true));
    const [thread, ...more] = await db.prisma.slackThread.findMany();
    expect(more).toEqual([]);
    expect(thread).toMatchObject({ threadTs: card!.ts, handoff: expect.objectContaining({ note: 'asked for a human' }) });
    expect(fake.topLevel(SUPPORT)).toHaveLength(1);
  });

  it('a card posted again after its answer was lost sends an agent answering the first one to the second', async () => {
    await start();
    const release = fake.hold('chat.postMessage');
    await customerWrites('my parcel is late');
    await eventually(() => expect(fake.topLevel(SUPPORT)).toHaveLength(1));
    const [lost] = fake.topLevel(SUPPORT);
    // The connection fails after Slack accepted the post: Parley posts the card again.
    release('drop');
    await eventually(() => expect(fake.topLevel(SUPPORT)).toHaveLength(2));
    const current = fake.topLevel(SUPPORT)[1]!;
    await eventually(async () => expect((await db.prisma.slackThread.findMany()).map((t) => t.threadTs)).toEqual([current.ts]));
    const reply = { type: 'message', channel: SUPPORT, user: 'UAGENT1', parent_user_id: 'UBOT' };
    expect((await sendEvent(events, SECRET, { ...reply, text: 'in the first card', ts: '1800000700.000001', thread_ts: lost!.ts })).status).toBe(200);
    expect(fake.ephemerals.at(-1)).toMatchObject({ user: 'UAGENT1', text: expect.stringContaining(`<#${SUPPORT}>`) });
    expect((await sendEvent(events, SECRET, { ...reply, text: 'in the second card', ts: '1800000700.000002', thread_ts: current.ts })).status).toBe(200);
    await eventually(() => expect(printed.some((p) => p.includes('in the second card'))).toBe(true));
    expect(printed.some((p) => p.includes('in the first card'))).toBe(false);
    expect(await db.prisma.slackThread.count()).toBe(1);
  });

  it("ignores replies in threads under other people's messages without asking Slack, and under a bot message that is not a card after asking once", async () => {
    await start();
    await customerWrites('my parcel is late');
    await handedOffThread();
    const before = fake.calls.length;
    const status = (
      await sendEvent(events, SECRET, {
        type: 'message',
        channel: SUPPORT,
        user: 'UAGENT1',
        text: 'lunch?',
        ts: '1800000800.000002',
        thread_ts: '1800000800.000001',
        parent_user_id: 'UAGENT2',
      })
    ).status;
    expect(status).toBe(200);
    expect(fake.calls.slice(before).map((c) => c.method)).not.toContain('conversations.replies');
    // Under a bot message that is not a card (an alert): Slack is asked once, then never again.
    fake.messages.push({ channel: SUPPORT, ts: '1800000900.000001', text: ':rotating_light: alert', updates: [] });
    for (const ts of ['1800000900.000002', '1800000900.000003']) {
      const reply = { type: 'message', channel: SUPPORT, user: 'UAGENT1', text: 'looking', ts, thread_ts: '1800000900.000001', parent_user_id: 'UBOT' };
      expect((await sendEvent(events, SECRET, reply)).status).toBe(200);
    }
    expect(fake.calls.slice(before).filter((c) => c.method === 'conversations.replies')).toHaveLength(1);
    expect(await db.prisma.message.count({ where: { authorKind: 'agent' } })).toBe(0);
  });

  it('a customer who comes back after the reopen window gets a new thread linked to the old one', async () => {
    await start({ PARLEY_REOPEN_WINDOW: '1ms' });
    await customerWrites('first problem');
    const card = await handedOffThread();
    const first = await db.prisma.conversation.findFirstOrThrow();
    await sendAction(events, SECRET, {
      user: 'UAGENT1',
      channel: SUPPORT,
      messageTs: card.ts,
      action: { action_id: 'parley:resolve', type: 'button', value: first.id },
    });
    await new Promise((r) => setTimeout(r, 5));
    await customerWrites('second problem');
    await eventually(() => expect(fake.topLevel(SUPPORT)).toHaveLength(2));
    const second = await db.prisma.conversation.findFirstOrThrow({ where: { id: { not: first.id } } });
    expect(second.previousId).toBe(first.id);
    const newCard = fake.topLevel(SUPPORT)[1]!;
    expect(JSON.stringify(newCard.blocks)).toContain(`https://test.slack.com/archives/${SUPPORT}/p${card.ts.replace('.', '')}`);
    await eventually(() => expect(fake.threadOf(SUPPORT, card.ts).some((m) => m.text.includes('came back'))).toBe(true));
    await eventually(() =>
      expect(
        fake
          .threadOf(SUPPORT, newCard.ts)
          .map((m) => m.text)
          .join('\n'),
      ).toContain('second problem'),
    );
  });

  it('AI assist: the card carries the hand-off summary; "Suggest reply" drafts in the customer language and "Send as is" sends it', async () => {
    const openai = new FakeOpenAI();
    await openai.start();
    openai.answer = (chat) => {
      const name = chat.response_format?.json_schema?.name;
      if (name === 'message_classification') return { content: classification({ intent: 'complaint', sentiment: 'negative', language: 'fa' }) };
      if (name === 'handoff_summary')
        return { content: JSON.stringify({ wants: 'Wants the missing order delivered.', mood: 'negative', lines: ['Order did not arrive.'] }) };
      if (name === 'suggested_reply') return { content: JSON.stringify({ reply: 'پوزش می‌خواهیم؛ سفارش شما را پیگیری می‌کنیم.' }) };
      return { status: 400 };
    };
    try {
      await start({ OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: openai.url, OPENAI_TIMEOUT: '5s', OPENAI_MAX_RETRIES: '0' });
      await db.prisma.agent.create({ data: { id: newId(), name: 'Sara A.', email: 'sara@example.com' } });
      await customerWrites('سلام، سفارشم نرسیده');
      const card = await handedOffThread();
      const cardJson = JSON.stringify(card.blocks);
      expect(cardJson).toContain('Wants the missing order delivered.');
      expect(cardJson).toContain('Summary* (AI)');
      expect(cardJson).toContain('parley:suggest');
      const conversation = await db.prisma.conversation.findFirstOrThrow();
      await sendAction(events, SECRET, {
        user: 'UAGENT1',
        channel: SUPPORT,
        messageTs: card.ts,
        action: { action_id: 'parley:suggest', type: 'button', value: conversation.id },
      });
      let draft: { text: string; blocks?: unknown[] } | undefined;
      await eventually(() => {
        draft = fake.ephemerals.find((e) => e.user === 'UAGENT1' && e.text.includes('پوزش'));
        expect(draft).toBeDefined();
      });
      const button = JSON.stringify(draft!.blocks).match(/"value":"((?:[^"\\]|\\.)*)"/);
      expect(button).not.toBeNull();
      const value = JSON.parse(`"${button![1]}"`) as string;
      await sendAction(events, SECRET, {
        user: 'UAGENT1',
        channel: SUPPORT,
        messageTs: card.ts,
        action: { action_id: 'parley:send_suggestion', type: 'button', value },
      });
      await eventually(() => expect(printed).toContain('پوزش می‌خواهیم؛ سفارش شما را پیگیری می‌کنیم.'));
      // What left Parley was masked and validated by the fake; nothing unexpected arrived.
      expect(openai.problems).toEqual([]);
    } finally {
      await openai.stop();
    }
  });

  it('Socket Mode: an agent reply arrives over the WebSocket, is stored, acknowledged and sent', async () => {
    await start({}, { SLACK_APP_TOKEN: 'xapp-test-token' });
    expect(desk.health()).toEqual({ ready: true, detail: 'Socket Mode' });
    await customerWrites('behind NAT');
    const card = await handedOffThread();
    await fake.sendSocketEvent({
      type: 'message',
      channel: SUPPORT,
      user: 'UAGENT1',
      text: 'Hello over the socket',
      ts: '1800000500.000001',
      thread_ts: card.ts,
    });
    expect(await db.prisma.slackPost.count({ where: { sourceKey: `${SUPPORT}:1800000500.000001` } })).toBe(1);
    await eventually(() => expect(printed).toContain('Hello over the socket'));
    expect(fake.calls.some((c) => c.method === 'apps.connections.open')).toBe(true);
  });
});
