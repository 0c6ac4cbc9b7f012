import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emailChannel } from '../channels/email/index.ts';
import { signIdentity } from '../channels/webchat/identity.ts';
import { webchatChannel } from '../channels/webchat/index.ts';
import { type ChannelAdapter, openChannel } from '../src/core/channel.ts';
import { SlackDesk } from '../src/desk/slack/plugin.ts';
import { readSlackConfig, type SlackConfig } from '../src/desk/slack/settings.ts';
import { enqueueOutbound } from '../src/pipeline/outbound.ts';
import type { Parley } from '../src/runtime.ts';
import { buildServer } from '../src/server/app.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';
import { type Dovecot, freePort, startDovecot } from './support/dovecot.ts';
import { eventually } from './support/eventually.ts';
import { FakeSlack, sendEvent } from './support/fake-slack.ts';
import { composeRaw } from './support/mail.ts';
import { testParley } from './support/parley.ts';
import { type SmtpCapture, startSmtpCapture } from './support/smtp-capture.ts';
import { WebchatClient } from './support/webchat-client.ts';

const ORIGIN = 'https://shop.example.com';
const IDENTITY_SECRET = 'site-identity-secret-0123456789';
const SUPPORT = 'support@example.com';

const SLACK_SECRET = 'test-signing-secret';
const SLACK_TOKEN = 'xoxb-test-token';
const SLACK_CHANNEL = 'CSUPPORT1';
/** The support mailbox in Dovecot, one per database dialect (the tests of one file share the server). */
const mailboxOf = (dialect: string) => `support-${dialect}`;

let smtp: SmtpCapture;
let dovecot: Dovecot;
beforeAll(async () => {
  [smtp, dovecot] = await Promise.all([startSmtpCapture(), startDovecot(dialects.map(mailboxOf))]);
});
afterAll(async () => {
  await Promise.all([smtp?.stop(), dovecot?.stop()]);
});

describe.each(dialects)('website chat email continuity on %s', (dialect) => {
  let db: TestDatabase;
  let parley: Parley;
  let app: FastifyInstance;
  let baseUrl: string;
  let dataDir: string;
  let slack: { fake: FakeSlack; desk: SlackDesk } | undefined;

  /** `imap`: the support mailbox is read from Dovecot (otherwise only SMTP is used); `slack`: the desk is a fake Slack. */
  async function start(options: { email: boolean; emailAfter?: string; imap?: boolean; slack?: boolean }) {
    const env: Record<string, string> = {
      PARLEY_DATA_DIR: dataDir,
      WEBCHAT_ALLOWED_ORIGINS: ORIGIN,
      WEBCHAT_IDENTITY_SECRET: IDENTITY_SECRET,
      WEBCHAT_EMAIL_AFTER: options.emailAfter ?? '1s',
      PARLEY_ACK_TEXT: 'Thanks, we got it.',
      // Without `imap` nothing listens on the IMAP port, so the reader just keeps retrying.
      EMAIL_IMAP_URL: options.imap ? dovecot.url(mailboxOf(dialect)) : `imap://support:secret@127.0.0.1:${await freePort()}?starttls=off`,
      EMAIL_SMTP_URL: smtp.url(),
      EMAIL_ADDRESS: SUPPORT,
      PARLEY_RATE_LIMITS: 'slack:recipient=1/100ms',
    };
    const adapters = [(await openChannel(webchatChannel, env)) as ChannelAdapter];
    if (options.email) adapters.push((await openChannel(emailChannel, env)) as ChannelAdapter);
    const plugins: SlackDesk[] = [];
    if (options.slack) {
      const fake = await new FakeSlack({
        token: SLACK_TOKEN,
        channels: { [SLACK_CHANNEL]: ['UBOT', 'UAGENT1'] },
        users: { UAGENT1: { name: 'Sara Ahmadi', email: 'sara@example.com' } },
      }).start();
      const config = readSlackConfig({
        SLACK_BOT_TOKEN: SLACK_TOKEN,
        SLACK_SIGNING_SECRET: SLACK_SECRET,
        SLACK_API_URL: fake.apiUrl,
        SLACK_PORT: '0',
        SLACK_TEAM_CHANNELS: JSON.stringify({ support: SLACK_CHANNEL }),
        SLACK_DEFAULT_CHANNEL: SLACK_CHANNEL,
      }) as SlackConfig;
      slack = { fake, desk: new SlackDesk(config, { host: '127.0.0.1' }) };
      plugins.push(slack.desk);
    }
    parley = await testParley(db, { adapters, env, plugins });
    await parley.start();
    app = await buildServer(parley);
    baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  }

  beforeEach(async () => {
    db = await freshDatabase(dialect);
    dataDir = mkdtempSync(join(tmpdir(), 'parley-webchat-email-'));
    smtp.mails.splice(0);
  });
  afterEach(async () => {
    await app?.close();
    await parley?.stop();
    await slack?.fake.stop();
    slack = undefined;
    await db.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A visitor writes once and waits for the bot's answer; returns their client and conversation. */
  async function visitorWrites(session: Record<string, unknown>, clientId: string) {
    const client = new WebchatClient(baseUrl);
    const { status, json } = await client.session(session);
    expect(status).toBe(200);
    await client.connect(json.token as string);
    client.send({ type: 'message', clientId, text: 'Where is my order?' });
    await client.waitFor('ack', (f) => f.clientId === clientId);
    await eventually(() => expect(client.entries().map((e) => e.from)).toEqual(['visitor', 'bot']));
    const conversation = await db.prisma.conversation.findFirstOrThrow({ where: { channel: 'webchat' }, include: { identity: true } });
    return { client, conversation };
  }

  async function agentReplies(conversation: { id: string; identity: { address: string } }, text: string) {
    const id = await db.write((tx) =>
      enqueueOutbound(tx, db.dialect, {
        conversationId: conversation.id,
        channel: 'webchat',
        recipient: conversation.identity.address,
        content: { text },
        authorKind: 'agent',
        authorName: 'Sara Ahmadi',
      }),
    );
    parley.dispatcher.notify();
    return id;
  }

  const checkJob = (messageId: string) => db.prisma.job.findFirst({ where: { dedupKey: { endsWith: `email:${messageId}` } } });
  const mailsTo = (address: string) => smtp.mails.filter((m) => m.envelope.to.includes(address));

  it('emails an agent reply to a visitor who left the page, with the conversation token in the subject', async () => {
    await start({ email: true });
    const { client, conversation } = await visitorWrites({ prechat: { name: 'Sam Lee', email: 'Sam.Lee@Example.org' } }, 'c-left-0001');
    await client.close();
    await agentReplies(conversation, 'Your parcel left the warehouse today.');

    await eventually(() => expect(mailsTo('sam.lee@example.org')).toHaveLength(1), 30_000);
    const mail = (mailsTo('sam.lee@example.org')[0] as (typeof smtp.mails)[number]).parsed;
    expect(mail.subject).toContain(`[#PRL-${conversation.ref}]`);
    expect(mail.text).toContain('Your parcel left the warehouse today.');
    expect(mail.from?.value[0]).toMatchObject({ address: SUPPORT, name: 'Sara Ahmadi' });
    // Emailed once: the check ran and is done, and the reply also stays in the widget's transcript.
    const messageId = (await db.prisma.message.findFirstOrThrow({ where: { authorKind: 'agent' } })).id;
    await eventually(async () => expect((await checkJob(messageId))?.status).toBe('done'));
    expect(mailsTo('sam.lee@example.org')).toHaveLength(1);
    const transcript = await db.prisma.channelState.findFirstOrThrow({ where: { channel: 'webchat', key: { startsWith: 'transcript:' } } });
    expect(JSON.stringify(transcript.value)).toContain('Your parcel left the warehouse today.');
  });

  it('sends nothing when a page showed the reply, and keeps a verified visitor on their own email', async () => {
    // Long enough for the page to report the reply shown before the check runs, even on a busy machine.
    await start({ email: true, emailAfter: '5s' });
    const identity = { userId: 'u-42', email: 'rana@example.org' };
    const hmac = signIdentity(IDENTITY_SECRET, identity);
    const { client, conversation } = await visitorWrites({ identity: { ...identity, hmac } }, 'c-seen-0001');
    const messageId = await agentReplies(conversation, 'شما یک پاسخ دارید');
    await eventually(() => expect(client.entries().map((e) => e.from)).toEqual(['visitor', 'bot', 'agent']));
    const seq = client.entries().at(-1)?.seq as number;
    client.send({ type: 'received', after: 0, upTo: seq });
    await eventually(async () => expect((await db.prisma.message.findUniqueOrThrow({ where: { id: messageId } })).deliveryStatus).toBe('delivered'));
    await eventually(async () => expect((await checkJob(messageId))?.status).toBe('done'), 30_000);
    expect(mailsTo('rana@example.org')).toHaveLength(0);

    // Unseen after the page closed: the next reply goes to the verified email.
    await client.close();
    await agentReplies(conversation, 'و پاسخ دوم');
    await eventually(() => expect(mailsTo('rana@example.org').map((m) => m.parsed.text?.trim())).toEqual(['و پاسخ دوم']), 30_000);
  });

  it('leaves the reply waiting in the widget when the email channel is off', async () => {
    await start({ email: false });
    const { client, conversation } = await visitorWrites({ prechat: { email: 'off@example.org' } }, 'c-off-00001');
    await client.close();
    const messageId = await agentReplies(conversation, 'Still here when you come back.');
    await eventually(async () => expect((await checkJob(messageId))?.status).toBe('done'), 30_000);
    expect(mailsTo('off@example.org')).toHaveLength(0);
    const transcript = await db.prisma.channelState.findFirstOrThrow({ where: { channel: 'webchat', key: { startsWith: 'transcript:' } } });
    expect(JSON.stringify(transcript.value)).toContain('Still here when you come back.');
  });

  it("threads the visitor's answer to the emailed reply back into the web conversation and its Slack thread", { timeout: 180_000 }, async () => {
    await start({ email: true, imap: true, slack: true });
    const { client, conversation } = await visitorWrites({ prechat: { name: 'Sam Lee', email: 'sam.lee@example.org' } }, 'c-answer-001');
    await parley.desk.transfer(conversation.id, 'support', 'test');
    const fake = (slack as { fake: FakeSlack }).fake;
    let card: { ts: string } | undefined;
    await eventually(() => {
      card = fake.topLevel(SLACK_CHANNEL)[0];
      expect(card).toBeDefined();
    }, 30_000);
    await client.close();

    // The agent answers in the card's thread; the visitor has left, so the answer goes by email.
    const events = `http://127.0.0.1:${(slack as { desk: SlackDesk }).desk.port}/slack/events`;
    const sent = await sendEvent(events, SLACK_SECRET, {
      type: 'message',
      channel: SLACK_CHANNEL,
      user: 'UAGENT1',
      text: 'Your parcel left the warehouse today.',
      ts: '1800000100.000001',
      thread_ts: (card as { ts: string }).ts,
    });
    expect(sent.status).toBe(200);
    await eventually(() => expect(mailsTo('sam.lee@example.org')).toHaveLength(1), 60_000);
    const mail = (mailsTo('sam.lee@example.org')[0] as (typeof smtp.mails)[number]).parsed;
    expect(mail.text).toContain('Your parcel left the warehouse today.');

    // The emailed copy is a message of the web conversation, on the email channel, with its Message-ID.
    await eventually(async () =>
      expect(await db.prisma.message.findFirst({ where: { conversationId: conversation.id, channel: 'email' } })).toMatchObject({
        direction: 'outbound',
        authorKind: 'agent',
        externalId: mail.messageId,
        deliveryStatus: 'sent',
      }),
    );
    const copy = await db.prisma.message.findFirstOrThrow({ where: { conversationId: conversation.id, channel: 'email' } });
    expect(copy.text).toBe('Your parcel left the warehouse today.');
    expect(await db.prisma.message.count({ where: { conversationId: conversation.id, channel: 'email', direction: 'outbound' } })).toBe(1);

    // The visitor answers the email from their mail program.
    const answer = await composeRaw({
      from: 'Sam Lee <sam.lee@example.org>',
      to: SUPPORT,
      subject: `Re: ${mail.subject}`,
      text: 'Thank you! When will it arrive?',
      messageId: '<answer-1@example.org>',
      inReplyTo: mail.messageId,
      references: mail.messageId,
    });
    const imap = await dovecot.client(mailboxOf(dialect));
    try {
      await imap.append('INBOX', answer);
    } finally {
      await imap.logout();
    }

    const answered = { channel: 'email', direction: 'inbound' } as const;
    await eventually(async () => expect(await db.prisma.message.count({ where: answered })).toBe(1), 60_000);
    const inbound = await db.prisma.message.findFirstOrThrow({
      where: answered,
      include: { conversation: { include: { customer: { include: { identities: true } } } } },
    });
    expect(inbound.text).toContain('Thank you! When will it arrive?');
    expect(inbound.conversationId).toBe(conversation.id);
    // One customer: the email address joined the visitor's record instead of starting another.
    expect(await db.prisma.customer.count()).toBe(1);
    expect(inbound.conversation.customer.identities.map((i) => i.channel).sort()).toEqual(['email', 'webchat']);
    expect(await db.prisma.conversation.count()).toBe(1);
    await eventually(
      () =>
        expect(fake.threadOf(SLACK_CHANNEL, (card as { ts: string }).ts).map((m) => m.text)).toContainEqual(expect.stringContaining('When will it arrive?')),
      60_000,
    );
    // The thread shows the emailed copy and the answer, each marked with the channel it took.
    const thread = fake
      .threadOf(SLACK_CHANNEL, (card as { ts: string }).ts)
      .map((m) => m.text)
      .join('\n');
    expect(thread).toMatch(/\*Sara Ahmadi\* _\(by email\)_ · [^\n]*\nYour parcel left the warehouse today\./);
    expect(thread).toMatch(/\*Sam Lee\* _\(by email\)_ · [^\n]*\nThank you! When will it arrive\?/);
  });
});
