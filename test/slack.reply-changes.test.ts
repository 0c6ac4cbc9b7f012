import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SendError } from '../src/core/channel.ts';
import { newId } from '../src/core/ids.ts';
import { SlackDesk } from '../src/desk/slack/plugin.ts';
import { readSlackConfig, type SlackConfig } from '../src/desk/slack/settings.ts';
import { type ConversationHandler, HumanHandledConversation } from '../src/pipeline/handler.ts';
import type { Parley } from '../src/runtime.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';
import { eventually } from './support/eventually.ts';
import { FakeSlack, sendEvent } from './support/fake-slack.ts';
import { FakeAdapter, testCapabilities, testParley } from './support/parley.ts';

const SECRET = 'test-signing-secret';
const TOKEN = 'xoxb-test-token';
const SUPPORT = 'CSUPPORT1';
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../src/desk/slack/fixtures/${name}`, import.meta.url), 'utf8'));

const handOff: ConversationHandler = {
  name: 'hand-off',
  async handle(turn) {
    turn.handOff({ team: 'support' });
  },
};

describe.each(dialects)('agent replies from Slack on %s: wire text, edits, deletions, Slack Connect files', (dialect) => {
  let db: TestDatabase;
  let fake: FakeSlack;
  let parley: Parley;
  let whatsapp: FakeAdapter;
  let events: string;

  beforeEach(async () => {
    db = await freshDatabase(dialect);
    fake = await new FakeSlack({
      token: TOKEN,
      channels: { [SUPPORT]: ['UBOT', 'UAGENT1', 'UAGENT2'] },
      users: { UAGENT1: { name: 'Sara Ahmadi', email: 'sara@example.com' }, UAGENT2: { name: 'Omid', email: 'omid@example.com' } },
    }).start();
    const config = readSlackConfig({
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: fake.apiUrl,
      SLACK_PORT: '0',
      SLACK_TEAM_CHANNELS: JSON.stringify({ support: SUPPORT }),
    }) as SlackConfig;
    const desk = new SlackDesk(config, { host: '127.0.0.1' });
    // WhatsApp renders its own marks: *bold*, _italic_, ~strike~.
    whatsapp = new FakeAdapter('whatsapp', { ...testCapabilities, richText: 'markdown' });
    const human = new HumanHandledConversation();
    parley = await testParley(db, {
      adapters: [whatsapp],
      handlers: (c) => (c.status === 'bot' ? handOff : human),
      env: { PARLEY_RATE_LIMITS: 'slack:recipient=1/100ms', PARLEY_DATA_DIR: join(tmpdir(), `parley-slack-${newId()}`) },
      plugins: [desk],
    });
    await parley.start();
    events = `http://127.0.0.1:${desk.port}/slack/events`;
  });
  afterEach(async () => {
    await parley?.stop();
    await fake.stop();
    await db.dispose();
  });

  const threadTexts = (cardTs: string) => fake.threadOf(SUPPORT, cardTs).map((m) => m.text);
  const sentTexts = () => whatsapp.sent.map((m) => m.content.text);
  let seq = 0;
  const agentWrites = (cardTs: string, text: string, extra: Record<string, unknown> = {}) => {
    const ts = `1800000200.${String(++seq).padStart(6, '0')}`;
    return sendEvent(events, SECRET, { type: 'message', channel: SUPPORT, user: 'UAGENT1', text, ts, thread_ts: cardTs, ...extra }).then((r) => {
      expect(r.status).toBe(200);
      return ts;
    });
  };
  /** Slack's documented message_changed payload, pointed at an agent's message in the thread. */
  const agentEdits = (cardTs: string, ts: string, text: string) => {
    const { event } = fixture('message_changed.json');
    event.channel = SUPPORT;
    event.ts = `1800000300.${String(++seq).padStart(6, '0')}`;
    event.message = { ...event.message, user: 'UAGENT1', text, ts, thread_ts: cardTs, edited: { user: 'UAGENT1', ts: event.ts } };
    return sendEvent(events, SECRET, event);
  };
  const agentDeletes = (ts: string) => {
    const { event } = fixture('message_deleted.json');
    event.channel = SUPPORT;
    event.ts = `1800000400.${String(++seq).padStart(6, '0')}`;
    event.deleted_ts = ts;
    event.previous_message = { type: 'message', user: 'UAGENT1', text: 'whatever', ts };
    return sendEvent(events, SECRET, event);
  };

  const conversationStarts = async () => {
    await parley.inbox.accept({
      channel: 'whatsapp',
      externalId: 'wamid.1',
      sender: { address: '+989121234567', addressKind: 'phone', displayName: 'Ali Rezaei' },
      text: 'سلام، سفارشم کجاست؟',
      raw: {},
    });
    let cardTs = '';
    await eventually(() => {
      cardTs = fake.topLevel(SUPPORT)[0]?.ts ?? '';
      expect(cardTs).not.toBe('');
      expect(fake.threadOf(SUPPORT, cardTs).length).toBeGreaterThan(0);
    });
    return cardTs;
  };

  it('sends Slack text in the channel own form; a sent reply that is edited or deleted is explained in the thread', async () => {
    const cardTs = await conversationStarts();
    const replyTs = await agentWrites(
      cardTs,
      'Q&amp;A &lt; 100: *see* <https://example.com/faq|our FAQ>, ask <@UAGENT2> or <!subteam^S0123|@billing-team> <!here>',
    );
    await eventually(() => expect(sentTexts()).toEqual(['Q&A < 100: *see* our FAQ (https://example.com/faq), ask Omid or billing-team']));
    const stored = await db.prisma.message.findFirstOrThrow({ where: { authorKind: 'agent' } });
    expect(stored.text).toBe('Q&A < 100: *see* our FAQ (https://example.com/faq), ask Omid or billing-team');
    await eventually(async () => expect((await db.prisma.message.findUniqueOrThrow({ where: { id: stored.id } })).deliveryStatus).toBe('sent'));

    // Edited after it was sent: WhatsApp cannot change it; the thread says what the customer still reads.
    expect((await agentEdits(cardTs, replyTs, 'Q&amp;A: see the FAQ')).status).toBe(200);
    await eventually(() => {
      const notice = threadTexts(cardTs).find((t) => t.startsWith(':pencil2:'));
      expect(notice).toContain('A reply the customer already has on *whatsapp* was edited by <@UAGENT1>');
      expect(notice).toContain('> Q&amp;A &lt; 100: *see* our FAQ (https://example.com/faq), ask Omid or billing-team');
    });
    // Deleted after it was sent: the same, in the thread for everyone.
    expect((await agentDeletes(replyTs)).status).toBe(200);
    await eventually(() => expect(threadTexts(cardTs).find((t) => t.startsWith(':wastebasket:'))).toContain('already has it on *whatsapp*'));
    // Redelivered events change nothing and say nothing twice.
    await agentDeletes(replyTs);
    await parley.dispatcher.drain();
    expect(threadTexts(cardTs).filter((t) => t.startsWith(':wastebasket:') || t.startsWith(':pencil2:'))).toHaveLength(2);
    expect(sentTexts()).toHaveLength(1);
  });

  it('an edit of a reply still in the outbox replaces it; a deletion withdraws it', async () => {
    const cardTs = await conversationStarts();
    // WhatsApp is unavailable for the next hour: replies wait in the outbox.
    whatsapp.behaviour = () => {
      throw new SendError('temporarily unavailable', { retryable: true, retryAfterMs: 3_600_000 });
    };
    const waiting = async (count: number) =>
      eventually(async () => expect(await db.prisma.outboxItem.count({ where: { status: 'pending', attempts: { gte: 1 } } })).toBe(count));
    const firstTs = await agentWrites(cardTs, 'your order ships *tomorrow*');
    await waiting(1);
    whatsapp.behaviour = (m) => ({ externalId: `ext-${m.messageId}` });
    expect((await agentEdits(cardTs, firstTs, 'your order ships *today* :tada:')).status).toBe(200);
    await eventually(() => expect(sentTexts().at(-1)).toBe('your order ships *today* 🎉'));
    const first = await db.prisma.message.findFirstOrThrow({ where: { text: 'your order ships *tomorrow*' } });
    expect(first.deliveryStatus).toBe('failed');
    expect(first.failureReason).toMatch(/replaced by the agent's edit/);
    await eventually(() => expect(fake.ephemerals.some((e) => e.user === 'UAGENT1' && e.text.includes('had not been sent yet'))).toBe(true));

    whatsapp.behaviour = () => {
      throw new SendError('temporarily unavailable', { retryable: true, retryAfterMs: 3_600_000 });
    };
    const secondTs = await agentWrites(cardTs, 'a mistake');
    await waiting(1);
    expect((await agentDeletes(secondTs)).status).toBe(200);
    await eventually(() => expect(threadTexts(cardTs).find((t) => t.startsWith(':wastebasket:'))).toContain('deleted before it was sent'));
    const withdrawn = await db.prisma.outboxItem.findFirstOrThrow({ where: { message: { text: 'a mistake' } } });
    expect(withdrawn.status).toBe('failed');
    expect(withdrawn.lastError).toMatch(/withdrawn/);
    // The withdrawn reply is never tried again.
    const attempts = whatsapp.sent.filter((m) => m.content.text === 'a mistake').length;
    await parley.dispatcher.drain();
    expect(whatsapp.sent.filter((m) => m.content.text === 'a mistake')).toHaveLength(attempts);
  });

  it('a Slack Connect file is fetched through files.info, or refused with the reason when Slack does not give it', async () => {
    const cardTs = await conversationStarts();
    const [connectFile] = fixture('file_share_slack_connect.json').files;
    // The other organisation's file: files.info refuses it.
    await agentWrites(cardTs, '', { subtype: 'file_share', files: [connectFile] });
    await eventually(() => {
      const told = fake.ephemerals.find((e) => e.user === 'UAGENT1' && e.text.includes('Not forwarded'));
      expect(told?.text).toContain('F123ABC456');
      expect(told?.text).toContain('file_not_found');
      expect(told?.text).toContain('Slack Connect');
    });
    expect(await db.prisma.message.count({ where: { authorKind: 'agent' } })).toBe(0);
    // A file files.info does describe is downloaded and sent.
    fake.files.set('F777', { name: 'label.pdf', mimetype: 'application/pdf', bytes: Buffer.from('%PDF-1.4 label') });
    await agentWrites(cardTs, 'here is the label', { subtype: 'file_share', files: [{ ...connectFile, id: 'F777' }] });
    await eventually(() => {
      const sent = whatsapp.sent.find((m) => m.content.text === 'here is the label');
      expect(sent?.content.attachments.map((a) => a.fileName)).toEqual(['label.pdf']);
    });
  });
});
