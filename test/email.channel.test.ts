import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EmailAdapter } from '../channels/email/adapter.ts';
import { loadEmailConfig } from '../channels/email/config.ts';
import { enqueueOutbound } from '../src/pipeline/outbound.ts';
import type { Parley } from '../src/runtime.ts';
import { freshDatabase } from './support/databases.ts';
import { type Dovecot, freePort, startDovecot } from './support/dovecot.ts';
import { bounceMail, composeRaw, windows1256Mail } from './support/mail.ts';
import { settle, testParley } from './support/parley.ts';
import { type SmtpCapture, startSmtpCapture } from './support/smtp-capture.ts';

type TestDb = Awaited<ReturnType<typeof freshDatabase>>;

const MAILBOXES = Array.from({ length: 12 }, (_, i) => [`support${i}@example.com`, `sales${i}@example.com`]).flat();

let dovecot: Dovecot;
let smtp: SmtpCapture;
let dataDir: string;

beforeAll(async () => {
  [dovecot, smtp] = await Promise.all([startDovecot(MAILBOXES), startSmtpCapture()]);
  dataDir = mkdtempSync(join(tmpdir(), 'parley-email-'));
});

afterAll(async () => {
  await Promise.all([dovecot?.stop(), smtp?.stop()]);
  rmSync(dataDir, { recursive: true, force: true });
});

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let nextMailbox = 0;

describe('email channel against Dovecot and a capturing SMTP server', () => {
  let db: TestDb;
  let parley: Parley | undefined;
  let support: string;
  let sales: string;

  const adapterFor = () =>
    new EmailAdapter(
      loadEmailConfig({
        EMAIL_MAILBOXES: JSON.stringify([
          { address: support, team: 'support', fromName: 'Example Support', imapUrl: dovecot.url(support), smtpUrl: smtp.url() },
          { address: sales, team: 'sales', imapUrl: dovecot.url(sales), smtpUrl: smtp.url(), moveTo: 'Imported' },
        ]),
        // Only IDLE (or an explicit sync) can bring mail in during a test.
        EMAIL_POLL_INTERVAL: '10m',
        EMAIL_THREAD_WINDOW: '7d',
      }) as NonNullable<ReturnType<typeof loadEmailConfig>>,
    );

  async function start(): Promise<{ parley: Parley; adapter: EmailAdapter }> {
    const adapter = adapterFor();
    parley = await testParley(db, { adapters: [adapter], env: { PARLEY_DATA_DIR: dataDir } });
    await parley.startChannels();
    await waitFor('the mailboxes to connect', () => adapter.health().ready);
    return { parley, adapter };
  }

  async function append(user: string, raw: Buffer | string, flags: string[] = []): Promise<void> {
    const client = await dovecot.client(user);
    try {
      if (user === sales) await client.mailboxCreate('Imported').catch(() => {});
      await client.append('INBOX', raw, flags);
    } finally {
      await client.logout();
    }
  }

  const customerMail = (from: string, messageId: string, subject: string, text: string, extra: Record<string, unknown> = {}) =>
    composeRaw({ from, to: support, subject, text, messageId, ...extra });

  const sentTo = (address: string) => smtp.mails.filter((m) => m.envelope.to.includes(address));

  afterEach(async () => {
    await parley?.stop();
    parley = undefined;
    await db?.dispose();
  });

  async function begin() {
    db = await freshDatabase('sqlite');
    support = MAILBOXES[nextMailbox * 2] as string;
    sales = MAILBOXES[nextMailbox * 2 + 1] as string;
    nextMailbox++;
  }

  it('imports a mail APPENDed while the reader waits in IDLE, flags it \\Seen, and replies with threading headers', async () => {
    await begin();
    const { parley } = await start();
    await waitFor('IDLE', () =>
      parley
        .channelStates()
        .find((s) => s.name === 'email')
        ?.detail.includes('IDLE'),
    );
    await append(support, await customerMail('"Sara Ahmadi" <Sara@Example.org>', '<c1@example.org>', 'Order 5 is late', 'Where is my order?'));
    await waitFor('the mail to be stored', async () => (await db.prisma.inboxEvent.count()) === 1);
    await settle(parley);

    const conversation = await db.prisma.conversation.findFirstOrThrow({ include: { customer: true, team: true, identity: true } });
    expect(conversation.identity.address).toBe('sara@example.org');
    expect(conversation.customer.name).toBe('Sara Ahmadi');
    expect(conversation.team?.name).toBe('support');
    expect(conversation.subject).toBe('Order 5 is late');
    expect(conversation.ref).toMatch(/^[0-9A-Z]{8}$/);

    const [reply] = sentTo('sara@example.org');
    expect(reply?.parsed.from?.value[0]).toMatchObject({ address: support, name: 'Example Support' });
    expect(reply?.parsed.subject).toBe(`Re: Order 5 is late [#PRL-${conversation.ref}]`);
    expect(reply?.parsed.inReplyTo).toBe('<c1@example.org>');
    expect(reply?.parsed.references).toEqual('<c1@example.org>');
    expect(reply?.parsed.text).toContain('Thanks for your message');
    expect(reply?.parsed.html).toContain('Thanks for your message');
    expect(reply?.parsed.headers.get('auto-submitted')).toBe('auto-replied');
    const outbound = await db.prisma.message.findFirstOrThrow({ where: { direction: 'outbound' } });
    expect(outbound.externalId).toBe(reply?.parsed.messageId);
    expect(outbound.deliveryStatus).toBe('sent');

    const client = await dovecot.client(support);
    await client.mailboxOpen('INBOX');
    const [fetched] = await client.fetchAll('1:*', { flags: true });
    await client.logout();
    expect(fetched?.flags?.has('\\Seen')).toBe(true);
  });

  it('skips a mail the inbox refuses (kept on disk) and goes on importing the mails after it', async () => {
    await begin();
    const { parley, adapter } = await start();
    // A sender address longer than any indexed key may be (MAX_KEY_LENGTH): the inbox refuses it.
    await append(support, await customerMail(`${'x'.repeat(600)}@example.org`, '<refused@example.org>', 'Hello', 'A mail the inbox refuses'));
    await append(support, await customerMail('ali@example.org', '<after@example.org>', 'Order', 'The mail after it'));
    await adapter.syncAll();
    await waitFor('the next mail to be stored', async () => (await db.prisma.inboxEvent.count()) === 1);
    await settle(parley);
    const stored = await db.prisma.message.findFirstOrThrow({ where: { direction: 'inbound' } });
    expect(stored.text).toContain('The mail after it');
    const client = await dovecot.client(support);
    await client.mailboxOpen('INBOX');
    const fetched = await client.fetchAll('1:*', { flags: true });
    await client.logout();
    expect(fetched.map((m) => m.flags?.has('\\Seen'))).toEqual([true, true]);
    const kept = readdirSync(dataDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.eml'));
    expect(kept.some((f) => readFileSync(join(dataDir, f), 'utf8').includes('A mail the inbox refuses'))).toBe(true);
  });

  it('restarts without duplicates or gaps: the cursor is in the database and Message-IDs drop re-imports', async () => {
    await begin();
    for (let i = 1; i <= 3; i++) await append(support, await customerMail(`c${i}@example.org`, `<r${i}@example.org>`, `Question ${i}`, `q${i}`));
    let { parley, adapter } = await start();
    await adapter.syncAll();
    expect(await db.prisma.inboxEvent.count()).toBe(3);
    await parley.stop();

    // While Parley is down: two more mails, and someone marks an imported one unread again.
    for (let i = 4; i <= 5; i++) await append(support, await customerMail(`c${i}@example.org`, `<r${i}@example.org>`, `Question ${i}`, `q${i}`));
    const other = await dovecot.client(support);
    await other.mailboxOpen('INBOX');
    await other.messageFlagsRemove('1', ['\\Seen']);
    await other.logout();

    ({ parley, adapter } = await start());
    await adapter.syncAll();
    expect((await db.prisma.inboxEvent.findMany({ orderBy: { id: 'asc' } })).map((e) => e.externalId)).toEqual([
      '<r1@example.org>',
      '<r2@example.org>',
      '<r3@example.org>',
      '<r4@example.org>',
      '<r5@example.org>',
    ]);
    const cursor = await db.prisma.channelState.findFirstOrThrow({ where: { channel: 'email', key: `imap:${support}:INBOX` } });
    expect(cursor.value).toMatchObject({ lastUid: 5 });
    await parley.stop();

    // A crash after storing but before the cursor moved: the same mails come again and are dropped.
    await db.prisma.channelState.deleteMany({});
    const again = await dovecot.client(support);
    await again.mailboxOpen('INBOX');
    await again.messageFlagsRemove('1:*', ['\\Seen']);
    await again.logout();
    ({ adapter } = await start());
    await adapter.syncAll();
    expect(await db.prisma.inboxEvent.count()).toBe(5);
  });

  it('threads by References from another client, by the subject token, by subject for the same sender only, and never merges a forward from someone else', async () => {
    await begin();
    const { parley, adapter } = await start();
    const deliver = async (raw: Buffer | string) => {
      await append(support, raw);
      await adapter.syncAll();
      await settle(parley);
    };
    await deliver(await customerMail('sara@example.org', '<t1@example.org>', 'Order 5', 'Where is order 5?'));
    const first = await db.prisma.conversation.findFirstOrThrow({ where: { identity: { address: 'sara@example.org' } } });
    const ack = sentTo('sara@example.org').at(-1)?.parsed.messageId as string;
    expect(ack).toMatch(/^<.+@example\.com>$/);

    // Another mail client: only References, a different subject.
    await deliver(await customerMail('sara@example.org', '<t2@phone.example.org>', 'sent from my phone', 'Any news?', { references: [ack] }));
    // Only the token in the subject, no headers.
    await deliver(await customerMail('sara@example.org', '<t3@example.org>', `Still waiting [#PRL-${first.ref}]`, 'Hello?'));
    // The same subject again, no headers: the same sender within the window.
    await deliver(await customerMail('sara@example.org', '<t4@example.org>', 'RE: Order 5', 'And?'));
    // Someone else with the same subject: their own conversation.
    await deliver(await customerMail('omid@example.org', '<t5@example.org>', 'Order 5', 'My order 5 is late too'));
    // Someone else forwarding Sara's thread, token and References included: never Sara's conversation.
    await deliver(
      await customerMail(
        'reza@example.org',
        '<t6@example.org>',
        `Fwd: Re: Order 5 [#PRL-${first.ref}]`,
        'FYI\n\n---------- Forwarded message ---------\nWhere is order 5?',
        {
          references: ['<t1@example.org>', ack],
        },
      ),
    );
    // Sara with a new subject and no hints: a new conversation.
    await deliver(await customerMail('sara@example.org', '<t7@example.org>', 'Invoice address', 'Please change my invoice address'));

    const messages = await db.prisma.message.findMany({ where: { direction: 'inbound' }, select: { externalId: true, conversationId: true } });
    const conversationOf = (id: string) => messages.find((m) => m.externalId === id)?.conversationId;
    expect([conversationOf('<t2@phone.example.org>'), conversationOf('<t3@example.org>'), conversationOf('<t4@example.org>')]).toEqual([
      first.id,
      first.id,
      first.id,
    ]);
    const others = ['<t5@example.org>', '<t6@example.org>', '<t7@example.org>'].map(conversationOf);
    expect(new Set([first.id, ...others]).size).toBe(4);
    expect(await db.prisma.conversation.count()).toBe(4);
  });

  it('stores auto-replies and list mail but never answers them; a bounce marks the send failed with the reason', async () => {
    await begin();
    const { parley, adapter } = await start();
    await append(support, await customerMail('nobody@example.org', '<b1@example.org>', 'Hello', 'Please reply'));
    await adapter.syncAll();
    await settle(parley);
    const ack = sentTo('nobody@example.org').at(-1)?.parsed.messageId as string;
    const sentBefore = smtp.mails.length;

    await append(
      support,
      await customerMail('nobody@example.org', '<b2@example.org>', 'Automatic reply: Hello', 'I am out of office.', {
        inReplyTo: ack,
        headers: { 'Auto-Submitted': 'auto-replied' },
      }),
    );
    await append(
      support,
      await customerMail('news@shop.example.net', '<b3@example.org>', 'Weekly deals', 'Deals!', { headers: { 'List-Id': '<deals.shop.example.net>' } }),
    );
    await append(support, bounceMail({ to: support, originalMessageId: ack, recipient: 'nobody@example.org' }));
    await adapter.syncAll();
    await settle(parley);

    expect(smtp.mails.length).toBe(sentBefore);
    const inbound = await db.prisma.message.findMany({ where: { direction: 'inbound' }, orderBy: { id: 'asc' } });
    expect(inbound.map((m) => m.externalId)).toEqual(['<b1@example.org>', '<b2@example.org>', '<b3@example.org>']);
    const outbound = await db.prisma.message.findFirstOrThrow({ where: { externalId: ack } });
    expect(outbound.deliveryStatus).toBe('failed');
    expect(outbound.failureReason).toMatch(/nobody@example\.org.*5\.1\.1.*User unknown/);
  });

  it('fails a send the SMTP server rejects with 5xx, with the server reason', async () => {
    await begin();
    const { parley, adapter } = await start();
    await append(support, await customerMail('gone@example.org', '<s1@example.org>', 'Hello', 'Hi'));
    smtp.rejectNext(550, 'Mailbox unavailable');
    await adapter.syncAll();
    await settle(parley);
    const outbound = await db.prisma.message.findFirstOrThrow({ where: { direction: 'outbound' } });
    expect(outbound.deliveryStatus).toBe('failed');
    expect(outbound.failureReason).toMatch(/SMTP 550.*Mailbox unavailable/);
  });

  it('decodes a Persian windows-1256 mail read over IMAP', async () => {
    await begin();
    const { parley, adapter } = await start();
    await append(
      support,
      windows1256Mail({ from: 'ali@example.ir', to: support, messageId: '<p1@example.ir>', subject: 'سفارش 123', body: 'سفارش من کجاست؟' }),
    );
    await adapter.syncAll();
    await settle(parley);
    const message = await db.prisma.message.findFirstOrThrow({ where: { direction: 'inbound' }, include: { conversation: { include: { customer: true } } } });
    expect(message.text).toBe('سفارش من کجاست؟');
    expect(message.conversation.subject).toBe('سفارش 123');
    expect(message.conversation.customer.name).toBe('علي رضايي');
    expect(message.conversation.customer.locale).toBe('fa');
  });

  it('sends an agent reply (the Slack path) from the team mailbox with In-Reply-To, References, token and the attachment', async () => {
    await begin();
    const { parley, adapter } = await start();
    await append(
      sales,
      await composeRaw({ from: 'buyer@example.org', to: sales, subject: 'Price list', text: 'Can I have the price list?', messageId: '<a1@example.org>' }),
    );
    await adapter.syncAll();
    await settle(parley);
    const conversation = await db.prisma.conversation.findFirstOrThrow({ include: { team: true } });
    expect(conversation.team?.name).toBe('sales');
    const ack = sentTo('buyer@example.org').at(-1)?.parsed;
    expect(ack?.from?.value[0]?.address).toBe(sales);

    // The mail was moved to the configured folder once stored.
    const client = await dovecot.client(sales);
    const counts = [await client.status('INBOX', { messages: true }), await client.status('Imported', { messages: true })];
    await client.logout();
    expect(counts.map((c) => c && c.messages)).toEqual([0, 1]);

    const file = join(dataDir, 'prices.txt');
    writeFileSync(file, 'Widget: 10 EUR');
    await db.write((tx) =>
      enqueueOutbound(tx, db.dialect, {
        conversationId: conversation.id,
        channel: 'email',
        recipient: 'buyer@example.org',
        content: { text: 'Here it is.', attachments: [{ kind: 'document', url: pathToFileURL(file).href, fileName: 'prices.txt', mimeType: 'text/plain' }] },
        authorKind: 'agent',
        authorName: 'Sara',
      }),
    );
    parley.dispatcher.notify();
    await settle(parley);
    const reply = sentTo('buyer@example.org').at(-1)?.parsed;
    expect(reply?.subject).toBe(`Re: Price list [#PRL-${conversation.ref}]`);
    expect(reply?.from?.value[0]).toMatchObject({ address: sales, name: 'Sara' });
    expect(reply?.inReplyTo).toBe(ack?.messageId);
    expect(reply?.references).toEqual(['<a1@example.org>', ack?.messageId]);
    expect(reply?.headers.has('auto-submitted')).toBe(false);
    expect(reply?.attachments.map((a) => [a.filename, a.content.toString()])).toEqual([['prices.txt', 'Widget: 10 EUR']]);
  });

  it("proves each mailbox's IMAP and SMTP credentials for parley doctor, and names a refused login", async () => {
    await begin();
    const config = (password: string) =>
      loadEmailConfig({
        EMAIL_IMAP_URL: dovecot.url(support).replace(':secret@', `:${password}@`),
        EMAIL_SMTP_URL: smtp.url(),
        EMAIL_ADDRESS: support,
      }) as NonNullable<ReturnType<typeof loadEmailConfig>>;
    const mailsBefore = smtp.mails.length;
    expect(await new EmailAdapter(config('secret')).verify()).toBe(`IMAP and SMTP accepted for ${support}`);
    await expect(new EmailAdapter(config('wrong')).verify()).rejects.toThrow(/IMAP login refused at 127\.0\.0\.1:\d+/);
    expect(smtp.mails).toHaveLength(mailsBefore); // nothing was sent
  });

  it('signs replies with DKIM when configured, and renders flow options as numbered lines', async () => {
    await begin();
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const adapter = new EmailAdapter(
      loadEmailConfig({
        EMAIL_IMAP_URL: dovecot.url(support),
        EMAIL_SMTP_URL: smtp.url(),
        EMAIL_ADDRESS: support,
        EMAIL_DKIM_DOMAIN: 'example.com',
        EMAIL_DKIM_SELECTOR: 'parley',
        EMAIL_DKIM_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        EMAIL_POLL_INTERVAL: '10m',
      }) as NonNullable<ReturnType<typeof loadEmailConfig>>,
    );
    parley = await testParley(db, {
      adapters: [adapter],
      env: { PARLEY_DATA_DIR: dataDir },
      handlers: () => ({
        name: 'survey',
        handle: async (turn) =>
          turn.reply({
            text: 'از خدمات ما راضی بودید؟',
            buttons: [
              { id: 'yes', title: 'بله' },
              { id: 'no', title: 'خیر' },
            ],
          }),
      }),
    });
    await parley.startChannels();
    await append(support, await customerMail('rated@example.org', '<d1@example.org>', 'Thanks', 'Thanks!'));
    await adapter.syncAll();
    await settle(parley);
    const mail = sentTo('rated@example.org').at(-1);
    expect(mail?.parsed.headers.get('dkim-signature')).toMatchObject({ params: expect.objectContaining({ d: 'example.com', s: 'parley' }) });
    expect(mail?.parsed.text?.trim()).toBe('از خدمات ما راضی بودید؟\n1. بله\n2. خیر');
    expect(mail?.parsed.html).toContain('dir="rtl"');
  });

  it('keeps reconnecting with backoff while the IMAP server is down, then imports what arrived', async () => {
    await begin();
    const port = await freePort();
    const user = 'late@example.com';
    const adapter = new EmailAdapter(
      loadEmailConfig({
        EMAIL_IMAP_URL: `imap://${encodeURIComponent(user)}:secret@127.0.0.1:${port}?starttls=off`,
        EMAIL_SMTP_URL: smtp.url(),
        EMAIL_ADDRESS: user,
        EMAIL_POLL_INTERVAL: '10m',
      }) as NonNullable<ReturnType<typeof loadEmailConfig>>,
    );
    parley = await testParley(db, { adapters: [adapter], env: { PARLEY_DATA_DIR: dataDir } });
    await parley.startChannels();
    expect(adapter.health()).toMatchObject({ ready: false, detail: expect.stringMatching(/reconnecting in \d+s/) });
    expect(adapter.health().detail).not.toContain('secret');

    const late = await startDovecot([user], { port });
    try {
      const client = await late.client(user);
      await client.append(
        'INBOX',
        await composeRaw({ from: 'early@example.org', to: user, subject: 'Hello', text: 'Written while you were down', messageId: '<late1@example.org>' }),
      );
      await client.logout();
      await waitFor('the reconnect and import', async () => (await db.prisma.inboxEvent.count()) === 1);
      expect(adapter.health().ready).toBe(true);
    } finally {
      await parley.stop();
      parley = undefined;
      await late.stop();
    }
  });
});
