import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { whatsappChannel } from '../channels/whatsapp/index.ts';
import { type ChannelAdapter, openChannel } from '../src/core/channel.ts';
import { UserError } from '../src/core/errors.ts';
import { type InboundMessage, MAX_KEY_LENGTH, MAX_TEXT_LENGTH, type ParsedInboundMessage } from '../src/core/message.ts';
import type { Parley } from '../src/runtime.ts';
import { buildServer } from '../src/server/app.ts';
import { type Dialect, dialects, freshDatabase } from './support/databases.ts';
import { FakeHttpServer } from './support/fake-http.ts';
import { testParley } from './support/parley.ts';

const SECRET = 'meta-app-secret';
const PHONE_ID = '106540352242922';

/** A logger whose entries the test can read. */
function capturingLogger() {
  const entries: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      entries.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { entries, logger: pino({ level: 'info' }, destination) };
}

const textMessage = (from: string, id: string, body: string) => ({ from, id, timestamp: '1790000000', type: 'text', text: { body } });

/** A database trigger that refuses one externalId: a row the database itself will not take. */
async function refuseExternalId(db: Awaited<ReturnType<typeof freshDatabase>>, dialect: Dialect, externalId: string): Promise<void> {
  if (dialect === 'sqlite') {
    await db.prisma.$executeRawUnsafe(
      `CREATE TRIGGER refuse_poison BEFORE INSERT ON "InboxEvent" WHEN NEW."externalId" = '${externalId}' BEGIN SELECT RAISE(ABORT, 'poisoned row'); END`,
    );
    return;
  }
  await db.prisma.$executeRawUnsafe(
    `CREATE FUNCTION refuse_poison() RETURNS trigger AS $$ BEGIN IF NEW."externalId" = '${externalId}' THEN RAISE EXCEPTION 'poisoned row'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`,
  );
  await db.prisma.$executeRawUnsafe(`CREATE TRIGGER refuse_poison BEFORE INSERT ON "InboxEvent" FOR EACH ROW EXECUTE FUNCTION refuse_poison()`);
}

describe.each(dialects)('poison input on %s', (dialect) => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let parley: Parley;
  let app: FastifyInstance | undefined;
  let graph: FakeHttpServer;
  let dataDir: string;
  let log: ReturnType<typeof capturingLogger>;

  beforeEach(async () => {
    db = await freshDatabase(dialect);
    graph = new FakeHttpServer();
    dataDir = mkdtempSync(join(tmpdir(), 'parley-poison-'));
    log = capturingLogger();
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await parley?.stop();
    await graph.close();
    await db.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start() {
    const env = {
      WHATSAPP_ACCESS_TOKEN: 'graph-access-token',
      WHATSAPP_PHONE_NUMBER_ID: PHONE_ID,
      WHATSAPP_APP_SECRET: SECRET,
      WHATSAPP_VERIFY_TOKEN: 'verify-me',
      WHATSAPP_GRAPH_URL: await graph.listen(),
      PARLEY_DATA_DIR: dataDir,
    };
    parley = await testParley(db, { adapters: [(await openChannel(whatsappChannel, env)) as ChannelAdapter], env, logger: log.logger });
    await parley.startChannels();
    app = await buildServer(parley);
  }

  /** A signed Cloud API webhook with these messages (any shape: the test decides). */
  function webhook(messages: unknown[]) {
    const body = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [{ id: 'WABA', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { phone_number_id: PHONE_ID }, messages } }] }],
    });
    const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
    return app!.inject({
      method: 'POST',
      url: '/webhooks/whatsapp',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
      payload: body,
    });
  }

  const storedText = async (externalId: string) => {
    const event = await db.prisma.inboxEvent.findFirstOrThrow({ where: { externalId } });
    return (event.payload as ParsedInboundMessage).text;
  };

  it('stores a NUL byte or a lone surrogate cleaned, and every concurrent neighbour in its group commit', async () => {
    await start();
    const customers = Array.from({ length: 40 }, (_, i) => `98912000${String(i).padStart(4, '0')}`);
    const bodies = customers.map((from, i) => {
      if (i === 7) return [textMessage(from, 'wamid.nul', 'a\u0000b')];
      if (i === 23) return [textMessage(from, 'wamid.surrogate', 'x\ud83dy \udc00')];
      return [textMessage(from, `wamid.${i}`, `سلام ${i} 😀`)];
    });
    const responses = await Promise.all(bodies.map((messages) => webhook(messages)));
    expect(responses.map((r) => r.statusCode)).toEqual(customers.map(() => 200));
    expect(await db.prisma.inboxEvent.count()).toBe(40);
    expect(await storedText('wamid.nul')).toBe('ab');
    expect(await storedText('wamid.surrogate')).toBe('x\ufffdy \ufffd');
    // A well-formed pair (the emoji) is kept as it was.
    expect(await storedText('wamid.3')).toBe('سلام 3 😀');
    const cleaned = log.entries.filter((e) => String(e.msg).startsWith('inbox: NUL'));
    expect(cleaned.map((e) => e.externalId).sort()).toEqual(['wamid.nul', 'wamid.surrogate']);
    expect(cleaned.find((e) => e.externalId === 'wamid.nul')?.fields).toEqual(expect.arrayContaining(['text', 'raw.text.body']));
  });

  it('refuses a malformed or unstorable message of a body alone, with the reason logged, and stores the others', async () => {
    await start();
    const from = '989121234567';
    const response = await webhook([
      textMessage(from, 'wamid.good1', 'first'),
      { from, id: 'wamid.loc', timestamp: '1790000000', type: 'location', location: { latitude: '35.7', longitude: '51.4' } },
      textMessage(from, `wamid.${'x'.repeat(3000)}`, 'an id no index takes'),
      { unknown: 'shape' },
      { from, id: 'wamid.far', type: 'location', location: { latitude: 135.7, longitude: 51.4 } },
      textMessage(from, 'wamid.good2', 'second'),
    ]);
    expect(response.statusCode).toBe(200);
    const stored = await db.prisma.inboxEvent.findMany({ orderBy: { externalId: 'asc' } });
    expect(stored.map((e) => e.externalId)).toEqual(['wamid.good1', 'wamid.good2']);
    const refused = log.entries.filter((e) => e.msg === 'webhook item refused');
    const reasons = Object.fromEntries(refused.map((e) => [String(e.at).replace(/^entry\.0\.changes\.0\.value\./, ''), String(e.reason)]));
    expect(Object.keys(reasons).sort()).toEqual(['messages.1', 'messages.2', 'messages.3', 'messages.4']);
    expect(reasons['messages.1']).toMatch(/location\.latitude: .*number/);
    expect(reasons['messages.3']).toMatch(/id: /);
    expect(reasons['messages.2']).toMatch(new RegExp(`externalId: .*${MAX_KEY_LENGTH}`));
    expect(reasons['messages.4']).toMatch(/location\.latitude/);
    // Meta retries the body: the good messages are not stored twice, the bad ones still refused.
    expect((await webhook([textMessage(from, 'wamid.good1', 'first'), { unknown: 'shape' }])).statusCode).toBe(200);
    expect(await db.prisma.inboxEvent.count()).toBe(2);
  });

  it('lets only the event the database refuses fail when a group commit fails; its neighbours are stored', async () => {
    await start();
    await refuseExternalId(db, dialect, 'poison');
    const message = (i: number): InboundMessage => ({
      channel: 'whatsapp',
      externalId: i === 13 ? 'poison' : `ok-${i}`,
      sender: { address: `+98912100${String(i).padStart(4, '0')}`, addressKind: 'phone' },
      text: `message ${i}`,
      raw: {},
    });
    const results = await Promise.allSettled(Array.from({ length: 60 }, (_, i) => parley.inbox.accept(message(i))));
    const rejected = results.flatMap((r, i) => (r.status === 'rejected' ? [i] : []));
    expect(rejected).toEqual([13]);
    expect(String((results[13] as PromiseRejectedResult).reason)).toMatch(/poisoned row/);
    expect(results.filter((r) => r.status === 'fulfilled' && r.value.status === 'accepted')).toHaveLength(59);
    expect(await db.prisma.inboxEvent.count()).toBe(59);
  });

  it('refuses oversize text and over-deep payloads with a reason naming the field', async () => {
    await start();
    const base: InboundMessage = { channel: 'sms', externalId: 'SM1', sender: { address: '+989121234567', addressKind: 'phone' }, text: 'hi', raw: {} };
    const oversize = parley.inbox.accept({ ...base, externalId: 'SM-big', text: 'x'.repeat(MAX_TEXT_LENGTH + 1) });
    await expect(oversize).rejects.toThrow(UserError);
    await expect(oversize).rejects.toThrow(new RegExp(`text: .*${MAX_TEXT_LENGTH}`));
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100; i++) deep = { inner: deep };
    await expect(parley.inbox.accept({ ...base, externalId: 'SM-deep', raw: deep })).rejects.toThrow(/raw(\.inner)+: nested deeper than 32 levels/);
    const huge = parley.inbox.accept({ ...base, externalId: 'SM-huge', metadata: { blob: 'y'.repeat(1_000_001) } });
    await expect(huge).rejects.toThrow(/metadata\.blob: the message is over 1000000 characters/);
    expect((await parley.inbox.accept(base)).status).toBe('accepted');
    expect(await db.prisma.inboxEvent.count()).toBe(1);
  });
});
