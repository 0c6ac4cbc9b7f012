import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EmailAdapter } from '../channels/email/adapter.ts';
import { loadEmailConfig } from '../channels/email/config.ts';
import { corpusMailDir } from '../channels/email/corpus.ts';
import { FlowRegistry } from '../src/flows/registry.ts';
import { parseFlowFile } from '../src/flows/validate.ts';
import type { Parley } from '../src/runtime.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';
import { type Dovecot, startDovecot } from './support/dovecot.ts';
import { composeRaw } from './support/mail.ts';
import { settle, silentLogger, testParley } from './support/parley.ts';
import { type SmtpCapture, startSmtpCapture } from './support/smtp-capture.ts';

const MAILBOXES = Array.from({ length: 8 }, (_, i) => `desk${i}@example.com`);

let dovecot: Dovecot;
let smtp: SmtpCapture;
let dataDir: string;

beforeAll(async () => {
  [dovecot, smtp] = await Promise.all([startDovecot(MAILBOXES), startSmtpCapture()]);
  dataDir = mkdtempSync(join(tmpdir(), 'parley-email-auto-'));
});

afterAll(async () => {
  await Promise.all([dovecot?.stop(), smtp?.stop()]);
  rmSync(dataDir, { recursive: true, force: true });
});

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A real bounce from the corpus, naming the mail Parley sent instead of the one it named. */
const corpusBounce = (file: string, theirOriginal: string, ours: string): Buffer => {
  const raw = readFileSync(join(corpusMailDir(), 'bounce', file), 'latin1');
  expect(raw).toContain(theirOriginal);
  return Buffer.from(raw.split(theirOriginal).join(ours), 'latin1');
};

const PROFILE_FLOW = `
id: profile
name: Profile
locales: [en]
triggers:
  - first_message: true
steps:
  - id: name
    ask: { type: text, text: "Your name?", save: name, save_attribute: name }
  - id: thanks
    end: { say: "Thanks, {{name}}!" }
`;

let nextMailbox = 0;

describe.each(dialects)('email bounces, auto-replies and the loop guard on %s', (dialect) => {
  let db: TestDatabase;
  let parley: Parley | undefined;
  let desk: string;

  async function start(env: Record<string, string> = {}, flowYaml?: string): Promise<{ parley: Parley; adapter: EmailAdapter }> {
    db = await freshDatabase(dialect);
    let flows: FlowRegistry | undefined;
    if (flowYaml) {
      const parsed = parseFlowFile('flow.yaml', flowYaml);
      if (!parsed.ok) throw new Error(parsed.problems.map((p) => `${p.line}:${p.column} ${p.message}`).join('\n'));
      flows = FlowRegistry.of([], silentLogger, db);
      await flows.remember({ flow: parsed.flow, file: 'flow.yaml', source: flowYaml });
    }
    desk = MAILBOXES[nextMailbox++] as string;
    const config = loadEmailConfig({
      EMAIL_MAILBOXES: JSON.stringify([{ address: desk, team: 'support', imapUrl: dovecot.url(desk), smtpUrl: smtp.url() }]),
      EMAIL_POLL_INTERVAL: '10m',
      ...env,
    });
    const adapter = new EmailAdapter(config as NonNullable<typeof config>);
    parley = await testParley(db, { adapters: [adapter], env: { PARLEY_DATA_DIR: dataDir }, ...(flows ? { flows } : {}) });
    await parley.startChannels();
    await waitFor('the mailbox to connect', () => adapter.health().ready);
    return { parley, adapter };
  }

  async function deliver(adapter: EmailAdapter, running: Parley, ...mails: (Buffer | string)[]): Promise<void> {
    const client = await dovecot.client(desk);
    try {
      for (const mail of mails) await client.append('INBOX', mail, []);
    } finally {
      await client.logout();
    }
    await adapter.syncAll();
    await settle(running);
  }

  // The SMTP capture is shared by both dialects' runs: only this run's mailbox counts.
  const sentTo = (address: string) => smtp.mails.filter((m) => m.envelope.to.includes(address) && m.envelope.from === desk);
  const lastSentId = (address: string) => sentTo(address).at(-1)?.parsed.messageId as string;

  afterEach(async () => {
    await parley?.stop();
    parley = undefined;
    await db?.dispose();
  });

  // Real bounces from the committed corpus (channels/email/fixtures/corpus).
  it('marks the original send failed from qmail, Exim and Office 365 bounces (original named only in the body), ignores a delay warning, and never makes a customer of the mailer', async () => {
    const { parley, adapter } = await start();
    const customers = ['ali@example.org', 'sara@example.org', 'reza@example.org'];
    await deliver(
      adapter,
      parley,
      ...(await Promise.all(
        customers.map((from, i) => composeRaw({ from, to: desk, subject: `Order ${i}`, text: 'Where is my order?', messageId: `<c${i}@example.org>` })),
      )),
    );
    const [toAli, toSara, toReza] = customers.map(lastSentId) as [string, string, string];
    expect([toAli, toSara, toReza].every((id) => id?.endsWith('@example.com>'))).toBe(true);

    // Sendmail's "THIS IS A WARNING MESSAGE ONLY": the server keeps trying, nothing failed yet.
    await deliver(adapter, parley, corpusBounce('lhost-sendmail-29.eml', 'Message-Id: <', `Message-Id: ${toAli.slice(0, -1)}.x`));
    expect((await db.prisma.message.findFirstOrThrow({ where: { externalId: toAli } })).deliveryStatus).not.toBe('failed');

    await deliver(
      adapter,
      parley,
      corpusBounce('lhost-qmail-01.eml', '<000000000.9999999999999.JavaMail.postmaster@mailhub>', toAli),
      corpusBounce('lhost-exim-02.eml', '<E1X58pB-0004bW-2s@marutamachi.example.org>', toSara),
      corpusBounce('lhost-office365-02.eml', '<c302b7e8-9b97-40ef-90eb-313cc6c25133@NYAAAAN.example.org>', toReza),
    );
    const status = async (externalId: string) =>
      db.prisma.message.findFirstOrThrow({ where: { externalId }, select: { deliveryStatus: true, failureReason: true } });
    expect(await status(toAli)).toEqual({
      deliveryStatus: 'failed',
      failureReason: expect.stringMatching(/qmail.*550 Unknown user kijitora@example\.ne\.jp/),
    });
    expect(await status(toSara)).toEqual({
      deliveryStatus: 'failed',
      failureReason: expect.stringMatching(/550 5\.1\.1 <kijitora@example\.jp>\.\.\. User Unknown/),
    });
    expect(await status(toReza)).toEqual({ deliveryStatus: 'failed', failureReason: expect.stringMatching(/office365.*5\.1\.1/) });

    const identities = await db.prisma.channelIdentity.findMany({ select: { address: true } });
    expect(identities.map((i) => i.address).sort()).toEqual([...customers].sort());
    expect(await db.prisma.conversation.count()).toBe(3);
    expect(await db.prisma.message.count({ where: { direction: 'inbound' } })).toBe(3);
  });

  it('stores Exchange, Apple and Hebrew out-of-office replies, a read receipt and an abuse report (ARF) for agents, never answers them, and they never advance a flow', async () => {
    const { parley, adapter } = await start({}, PROFILE_FLOW);
    const ali = 'ali.auto@example.org';
    await deliver(adapter, parley, await composeRaw({ from: ali, to: desk, subject: 'Question', text: 'Hi', messageId: '<q1@example.org>' }));
    expect(sentTo(ali).map((m) => m.parsed.text?.trim())).toEqual(['Your name?']);
    const asked = lastSentId(ali);

    const reply = (messageId: string, subject: string, text: string, headers: Record<string, string> = {}) =>
      composeRaw({ from: ali, to: desk, subject, text, messageId, inReplyTo: asked, references: [asked], headers });
    const readReceipt = [
      `From: ${ali}`,
      `To: ${desk}`,
      'Subject: Read: Question',
      'Message-ID: <mdn1@example.org>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=disposition-notification; boundary="mdn"',
      '',
      '--mdn',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Your message was read on Friday.',
      '--mdn',
      'Content-Type: message/disposition-notification',
      '',
      `Final-Recipient: rfc822; ${ali}`,
      `Original-Message-ID: ${asked}`,
      'Disposition: manual-action/MDN-sent-manually; displayed',
      '--mdn--',
      '',
    ].join('\r\n');
    const abuseReport = [
      `From: ${ali}`,
      `To: ${desk}`,
      'Subject: Abuse report',
      'Message-ID: <arf1@example.org>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=feedback-report; boundary="arf"',
      '',
      '--arf',
      'Content-Type: text/plain',
      '',
      'This is an email abuse report for a message received from 192.0.2.1.',
      '--arf',
      'Content-Type: message/feedback-report',
      '',
      'Feedback-Type: abuse',
      'User-Agent: SomeGenerator/1.0',
      'Version: 1',
      '--arf',
      'Content-Type: text/rfc822-headers',
      '',
      `Message-ID: ${asked}`,
      '--arf--',
      '',
    ].join('\r\n');
    await deliver(
      adapter,
      parley,
      await reply('<oof1@example.org>', 'Automatic reply: Question', 'I am out of the office until Monday.', { 'X-Auto-Response-Suppress': 'All' }),
      await reply('<oof2@example.org>', 'Auto reply: Question', "I'm on holiday.", { 'X-Apple-Action': 'VACATION' }),
      await reply('<oof3@example.org>', 'תשובה אוטומטית: Question', 'אני מחוץ למשרד עד יום ראשון.'),
      readReceipt,
      abuseReport,
    );

    expect(sentTo(ali)).toHaveLength(1);
    const stored = await db.prisma.message.findMany({ where: { direction: 'inbound' }, select: { externalId: true, text: true } });
    expect(stored.map((m) => m.externalId).sort()).toEqual(
      ['<mdn1@example.org>', '<oof1@example.org>', '<oof2@example.org>', '<oof3@example.org>', '<q1@example.org>', '<arf1@example.org>'].sort(),
    );
    expect(stored.find((m) => m.externalId === '<oof3@example.org>')?.text).toBe('אני מחוץ למשרד עד יום ראשון.');
    expect((await db.prisma.customer.findFirstOrThrow({ select: { name: true } })).name).toBeNull();

    // The flow still waits for the name: the customer's own answer is taken.
    await deliver(adapter, parley, await reply('<name@example.org>', 'Re: Question', 'Sara'));
    expect((await db.prisma.customer.findFirstOrThrow({ select: { name: true } })).name).toBe('Sara');
    expect(sentTo(ali).map((m) => m.parsed.text?.trim())).toEqual(['Your name?', 'Thanks, Sara!']);
  });

  it('sends at most EMAIL_AUTO_REPLY_LIMIT automatic mails to an auto-responder that marks nothing, then fails the next with the reason', async () => {
    const { parley, adapter } = await start({ EMAIL_AUTO_REPLY_LIMIT: '2', EMAIL_AUTO_REPLY_WINDOW: '1h' });
    const robot = 'naive-responder@example.net';
    await deliver(
      adapter,
      parley,
      await composeRaw({ from: robot, to: desk, subject: 'Hello', text: 'Thank you for your mail.', messageId: '<r0@example.net>' }),
    );
    for (let round = 1; round <= 3; round++) {
      const inReplyTo = lastSentId(robot);
      await deliver(
        adapter,
        parley,
        await composeRaw({
          from: robot,
          to: desk,
          subject: 'Re: Hello',
          text: 'Thank you for your mail.',
          messageId: `<r${round}@example.net>`,
          inReplyTo,
          references: [inReplyTo],
        }),
      );
    }
    expect(sentTo(robot)).toHaveLength(2);
    const outbound = await db.prisma.message.findMany({ where: { direction: 'outbound' }, select: { deliveryStatus: true, failureReason: true } });
    expect(outbound).toHaveLength(4);
    const refused = outbound.filter((m) => m.deliveryStatus === 'failed');
    expect(refused).toHaveLength(2);
    for (const m of refused) expect(m.failureReason).toMatch(/loop guard: 2 automatic mails were sent to naive-responder@example\.net .*limit 2/);
  });
});
