// npm run bench:email: imports a backlog from a real Dovecot (APPENDed first) through the email
// channel into the pipeline; prints messages/s and peak memory. Figures are printed, not asserted.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmailAdapter } from '../channels/email/adapter.ts';
import { loadEmailConfig } from '../channels/email/config.ts';
import { type Dialect, freshDatabase } from '../test/support/databases.ts';
import { startDovecot } from '../test/support/dovecot.ts';
import { composeRaw } from '../test/support/mail.ts';
import { testParley } from '../test/support/parley.ts';

const MESSAGES = Number(process.env.BENCH_EMAIL_MESSAGES ?? 5_000);
const CUSTOMERS = Math.max(1, Math.floor(MESSAGES / 5));
const MAILBOX = 'support@example.com';

/** A realistic mix: plain English, Persian UTF-8 base64, HTML with a quoted reply, some attachments; later mails reply to earlier ones. */
async function backlogMail(i: number): Promise<Buffer> {
  const customer = i % CUSTOMERS;
  const round = Math.floor(i / CUSTOMERS);
  const from = `customer${customer}@example.org`;
  const references = Array.from({ length: round }, (_, r) => `<m${customer + r * CUSTOMERS}@example.org>`);
  const base = {
    from: `"Customer ${customer}" <${from}>`,
    to: MAILBOX,
    messageId: `<m${i}@example.org>`,
    subject: `${round > 0 ? 'Re: ' : ''}Order ${customer}`,
    references: references.length ? references : undefined,
    inReplyTo: references.at(-1),
  };
  switch (i % 4) {
    case 0:
      return composeRaw({ ...base, text: `Hello, where is my order ${customer}? It was due last week.\n\nThanks,\nCustomer ${customer}` });
    case 1:
      return composeRaw({ ...base, text: `سلام، سفارش ${customer} من هنوز نرسیده است. لطفاً پیگیری کنید.\n\nبا تشکر`, textEncoding: 'base64' });
    case 2:
      return composeRaw({
        ...base,
        html: `<div dir="auto">Any news about order ${customer}?</div><div class="gmail_quote">On Mon, Support wrote:<blockquote>We are checking.<br>${'Earlier text. '.repeat(40)}</blockquote></div>`,
      });
    default:
      return composeRaw({
        ...base,
        text: `Receipt attached for order ${customer}.`,
        attachments: [{ filename: `receipt-${i}.txt`, content: `receipt ${i}\n`.repeat(150), contentType: 'text/plain' }],
      });
  }
}

async function appendBacklog(dovecot: Awaited<ReturnType<typeof startDovecot>>): Promise<number> {
  const start = performance.now();
  const connections = 4;
  let next = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      const client = await dovecot.client(MAILBOX);
      while (next < MESSAGES) {
        const i = next++;
        await client.append('INBOX', await backlogMail(i));
      }
      await client.logout();
    }),
  );
  return (performance.now() - start) / 1000;
}

function memorySampler() {
  let peakRss = process.memoryUsage().rss;
  let peakHeap = process.memoryUsage().heapUsed;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 20);
  return {
    stop() {
      clearInterval(timer);
      return { peakRss, peakHeap };
    },
  };
}

async function benchDialect(dialect: Dialect) {
  const dovecot = await startDovecot([MAILBOX]);
  const db = await freshDatabase(dialect);
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-email-bench-'));
  try {
    const appendSeconds = await appendBacklog(dovecot);
    const config = loadEmailConfig({
      EMAIL_IMAP_URL: dovecot.url(MAILBOX),
      EMAIL_SMTP_URL: 'smtp://127.0.0.1:9',
      EMAIL_ADDRESS: MAILBOX,
      EMAIL_POLL_INTERVAL: '10m',
    });
    const adapter = new EmailAdapter(config as NonNullable<typeof config>);
    // No replies: the figure is the import (IMAP fetch, decode, store, \Seen, cursor) and the pipeline behind it.
    const parley = await testParley(db, {
      adapters: [adapter],
      env: { PARLEY_DATA_DIR: dataDir, PARLEY_POLL_INTERVAL: '50ms' },
      handlers: () => ({ name: 'silent', handle: async () => {} }),
    });
    let handled = 0;
    parley.processor.onCommitted((events) => {
      handled += events.length;
    });
    const memory = memorySampler();
    const baseRss = process.memoryUsage().rss;
    const start = performance.now();
    parley.processor.start();
    // start() connects and imports the whole backlog before it resolves.
    await parley.startChannels();
    const importSeconds = (performance.now() - start) / 1000;
    while (handled < MESSAGES) await new Promise((r) => setTimeout(r, 10));
    const totalSeconds = (performance.now() - start) / 1000;
    const peak = memory.stop();
    const stored = await db.prisma.inboxEvent.count();
    const conversations = await db.prisma.conversation.count();
    await parley.stop();
    return { dialect, appendSeconds, importSeconds, totalSeconds, peak, baseRss, stored, conversations };
  } finally {
    await db.dispose();
    await dovecot.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const mib = (bytes: number) => `${fmt(bytes / 1024 / 1024)} MiB`;

console.log(`Parley email import benchmark (node ${process.version}; ${MESSAGES} mails from ${CUSTOMERS} customers in a Dovecot INBOX, first start)`);
console.log(
  'Import = IMAP SEARCH + FETCH in chunks of 100 mails / 16 MiB -> decode (mailparser, reply stripping, .eml + attachments to disk) -> durable accept -> \\Seen -> cursor.\n',
);
for (const dialect of (process.env.BENCH_DIALECTS?.split(',') as Dialect[] | undefined) ?? (['sqlite', 'postgresql'] as Dialect[])) {
  const r = await benchDialect(dialect);
  console.log(`== ${dialect}`);
  console.log(`  backlog APPENDed (4 connections)      : ${fmt(r.appendSeconds, 1)} s`);
  console.log(`  import, stored and flagged            : ${fmt(MESSAGES / r.importSeconds)} messages/s (${fmt(r.importSeconds, 1)} s)`);
  console.log(`  import + pipeline (conversations made) : ${fmt(MESSAGES / r.totalSeconds)} messages/s (${fmt(r.totalSeconds, 1)} s)`);
  console.log(`  stored events / conversations          : ${r.stored} / ${r.conversations}`);
  console.log(`  peak RSS / heap during the run         : ${mib(r.peak.peakRss)} / ${mib(r.peak.peakHeap)} (RSS before: ${mib(r.baseRss)})\n`);
}
