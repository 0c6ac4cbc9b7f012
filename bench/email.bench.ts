// npm run bench:email: (1) the real-mail corpus APPENDed to a Dovecot, fetched with imapflow and
// decoded, both rates from the same run; (2) peak memory while decoding a mail with a 20 MB
// attachment; (3) a synthetic backlog imported by the email channel into the pipeline.
// Figures are printed, not asserted.
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EmailAdapter } from '../channels/email/adapter.ts';
import { loadEmailConfig } from '../channels/email/config.ts';
import { corpusContext, readCorpus } from '../channels/email/corpus.ts';
import { uidSet } from '../channels/email/imap.ts';
import { decodeMail, type ParseContext } from '../channels/email/parse.ts';
import { MailFileStore } from '../channels/email/store.ts';
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

const run = promisify(execFile);
const CORPUS_ROUNDS = Number(process.env.BENCH_EMAIL_CORPUS_ROUNDS ?? 10);
const PASSES = Number(process.env.BENCH_EMAIL_PASSES ?? 3);
/** As the email channel reads a mailbox: FETCH in chunks of 100 mails, each chunk decoded in parallel (channels/email/adapter.ts). */
const CHUNK = 100;

interface Pass {
  readonly seconds: number;
  /** CPU of this process (user + system) per mail; Dovecot's own CPU is not counted. */
  readonly cpuMsPerMail: number;
}

async function timed(mails: number, work: () => Promise<void>): Promise<Pass> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await work();
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { seconds, cpuMsPerMail: (used.user + used.system) / 1000 / mails };
}

/** The corpus APPENDed CORPUS_ROUNDS times, then fetched (imapflow, raw source) and decoded (Parley) in alternating passes. */
async function benchCorpus() {
  const corpus = readCorpus();
  const dovecot = await startDovecot([MAILBOX]);
  const storeDir = mkdtempSync(join(tmpdir(), 'parley-email-corpus-bench-'));
  try {
    const appender = await dovecot.client(MAILBOX);
    for (let round = 0; round < CORPUS_ROUNDS; round++) for (const { source } of corpus) await appender.append('INBOX', source);
    await appender.logout();
    const client = await dovecot.client(MAILBOX);
    await client.mailboxOpen('INBOX');
    const uids = ((await client.search({ all: true }, { uid: true })) || []).sort((a, b) => a - b);
    const passes: { fetch: Pass; decode: Pass; load: number }[] = [];
    let bytes = 0;
    for (let pass = 0; pass < PASSES; pass++) {
      let sources: Buffer[] = [];
      const fetch = await timed(uids.length, async () => {
        for (let at = 0; at < uids.length; at += CHUNK) {
          const messages = await client.fetchAll(uidSet(uids.slice(at, at + CHUNK)), { uid: true, source: true }, { uid: true });
          for (const m of messages.sort((a, b) => a.uid - b.uid)) if (m.source) sources.push(m.source);
        }
      });
      bytes = sources.reduce((sum, source) => sum + source.length, 0);
      // Each round of the corpus is decoded into a store of its own, so every mail's files are new,
      // as on a first import (a file rewritten in place is flushed by ext4 when it is closed).
      const contexts = Array.from({ length: CORPUS_ROUNDS }, (_, round) => corpusContext(new MailFileStore(join(storeDir, `pass-${pass}`, `round-${round}`))));
      const decode = await timed(sources.length, async () => {
        for (let at = 0; at < sources.length; at += CHUNK)
          await Promise.all(
            sources.slice(at, at + CHUNK).map((source, i) => decodeMail(source, contexts[Math.floor((at + i) / corpus.length)] as ParseContext)),
          );
      });
      sources = [];
      rmSync(join(storeDir, `pass-${pass}`), { recursive: true, force: true });
      passes.push({ fetch, decode, load: loadavg()[0] as number });
    }
    await client.logout();
    return { mails: uids.length, distinct: corpus.length, bytes, passes };
  } finally {
    await dovecot.stop();
    rmSync(storeDir, { recursive: true, force: true });
  }
}

/** RSS before and peak while one mail file is decoded, in a fresh process (bench/email/decode-memory.ts). */
async function decodeMemory(mode: 'parley' | 'simpleParser', file: string, storeDir: string): Promise<{ before: number; peak: number }> {
  const { stdout } = await run(process.execPath, ['bin/run-ts.js', 'bench/email/decode-memory.ts', mode, file, storeDir], { maxBuffer: 1024 * 1024 });
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as { before: number; peak: number };
}

/** Peak RSS growth while decoding one mail with an attachment of `megabytes` (random bytes, base64 in the mail). */
async function benchAttachment(megabytes: number) {
  const dir = mkdtempSync(join(tmpdir(), 'parley-email-memory-bench-'));
  try {
    const source = await composeRaw({
      from: 'sara@example.org',
      to: MAILBOX,
      subject: 'Scanned contract',
      messageId: `<scan-${megabytes}@example.org>`,
      text: 'The signed contract is attached.',
      attachments: [{ filename: 'contract.pdf', content: randomBytes(megabytes * 1024 * 1024), contentType: 'application/pdf' }],
    });
    const file = join(dir, 'mail.eml');
    writeFileSync(file, source);
    const parley = await decodeMemory('parley', file, join(dir, 'store'));
    const buffered = await decodeMemory('simpleParser', file, join(dir, 'store'));
    return { megabytes, sourceBytes: source.length, parley, simpleParser: buffered };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

console.log(`Parley email benchmark (node ${process.version}, load average ${load()})\n`);
const corpus = await benchCorpus();
console.log(
  `== Real-mail corpus: ${corpus.distinct} mails (channels/email/fixtures/corpus) x ${CORPUS_ROUNDS} = ${corpus.mails} mails, ${mib(corpus.bytes)}, in a Dovecot INBOX`,
);
console.log('   fetch  = imapflow FETCH of the raw source in chunks of 100 (this process only; Dovecot not counted)');
console.log('   decode = decodeMail per chunk of 100 in parallel, as the channel does: MIME, charsets, bounce/auto-reply checks,');
console.log('            reply stripping, .eml and attachments written to disk (no database, no pipeline)');
for (const [i, p] of corpus.passes.entries()) {
  const fetchRate = corpus.mails / p.fetch.seconds;
  const decodeRate = corpus.mails / p.decode.seconds;
  console.log(
    `  pass ${i + 1}: fetch ${fmt(fetchRate)} mails/s (${fmt(p.fetch.cpuMsPerMail, 2)} ms CPU/mail), decode ${fmt(decodeRate)} mails/s (${fmt(p.decode.cpuMsPerMail, 2)} ms CPU/mail): decode/fetch ${fmt(decodeRate / fetchRate, 2)}x, load ${fmt(p.load, 2)}`,
  );
}
const ratios = corpus.passes.map((p) => p.fetch.seconds / p.decode.seconds);
console.log(`  decode/fetch, median of ${corpus.passes.length} passes: ${fmt(median(ratios), 2)}x\n`);

console.log('== Memory: RSS while decoding one mail with a large attachment, each in a fresh process (the raw mail already read)');
for (const megabytes of [2, 20, 50]) {
  const r = await benchAttachment(megabytes);
  const growth = (m: { before: number; peak: number }) => `peak ${mib(m.peak)} (+${mib(m.peak - m.before)})`;
  console.log(
    `  ${megabytes} MiB attachment (${mib(r.sourceBytes)} mail): Parley, streamed to disk: ${growth(r.parley)}; mailparser simpleParser, buffered: ${growth(r.simpleParser)}`,
  );
}
console.log(`  load average ${load()}\n`);

const dialects = (process.env.BENCH_DIALECTS ?? 'sqlite,postgresql').split(',').filter(Boolean) as Dialect[];
if (dialects.length > 0) {
  console.log(`== Import: ${MESSAGES} synthetic mails from ${CUSTOMERS} customers (BENCH_EMAIL_MESSAGES) in a Dovecot INBOX, first start`);
  console.log(
    '   Import = IMAP SEARCH + FETCH in chunks of 100 mails / 16 MiB -> decode (mailparser, reply stripping, .eml + attachments to disk) -> durable accept -> \\Seen -> cursor.\n',
  );
}
for (const dialect of dialects) {
  const r = await benchDialect(dialect);
  console.log(`  ${dialect} (load average ${load()})`);
  console.log(`    backlog APPENDed (4 connections)      : ${fmt(r.appendSeconds, 1)} s`);
  console.log(`    import, stored and flagged            : ${fmt(MESSAGES / r.importSeconds)} messages/s (${fmt(r.importSeconds, 1)} s)`);
  console.log(`    import + pipeline (conversations made) : ${fmt(MESSAGES / r.totalSeconds)} messages/s (${fmt(r.totalSeconds, 1)} s)`);
  console.log(`    stored events / conversations          : ${r.stored} / ${r.conversations}`);
  console.log(`    peak RSS / heap during the run         : ${mib(r.peak.peakRss)} / ${mib(r.peak.peakHeap)} (RSS before: ${mib(r.baseRss)})\n`);
}
