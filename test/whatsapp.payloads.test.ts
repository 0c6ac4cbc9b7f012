import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { whatsappChannel } from '../channels/whatsapp/index.ts';
import { type ChannelAdapter, openChannel } from '../src/core/channel.ts';
import { createLogger } from '../src/logger.ts';
import { REVOKED_TEXT } from '../src/pipeline/amendments.ts';
import type { Parley } from '../src/runtime.ts';
import { buildServer } from '../src/server/app.ts';
import { dialects, freshDatabase } from './support/databases.ts';
import { FakeHttpServer, json } from './support/fake-http.ts';
import { settle, testParley } from './support/parley.ts';

/** Recorded webhook bodies (channels/whatsapp/fixtures/SOURCES.md names where each comes from). */
const FIXTURES = fileURLToPath(new URL('../channels/whatsapp/fixtures/inbound/', import.meta.url));
const MALFORMED = fileURLToPath(new URL('../channels/whatsapp/fixtures/malformed/', import.meta.url));
/**
 * The recorded customer numbers (972987654321, 972912345678) are not valid in Israel's numbering
 * plan, which Parley checks: valid mobile numbers take their place, nothing else changes.
 */
const fixture = (name: string, dir = FIXTURES): Record<string, unknown> =>
  JSON.parse(
    readFileSync(join(dir, `${name}.json`), 'utf8')
      .replaceAll('972987654321', '972502345678')
      .replaceAll('972912345678', '972542345678')
      // Meta's documentation samples use fictional 555 numbers.
      .replaceAll('16315551181', '16502530000')
      .replaceAll('16315551234', '16502530001')
      // Documentation samples name other business numbers: each body is addressed to the one under test.
      .replaceAll(/"phone_number_id": *"\d+"/g, `"phone_number_id": "${PHONE_ID}"`),
  );
const PHONE_ID = '1122334455667'; // the business number of the recorded payloads
const SECRET = 'meta-app-secret';
const TOKEN = 'graph-access-token';

type Body = { entry: { changes: { value: { messages?: { id: string }[] } }[] }[] };
const messagesOf = (body: Record<string, unknown>) => (body as Body).entry[0]?.changes[0]?.value.messages ?? [];
/** The recorded bodies reuse ids (wamid.xyzxyz, media 1234567890987654321): one database holds them all when each file's ids are its own. */
function withIds(body: Record<string, unknown>, id: (old: string, index: number) => string, mediaPrefix?: string): Record<string, unknown> {
  const copy = structuredClone(body);
  messagesOf(copy).forEach((m, i) => {
    m.id = id(m.id, i);
    for (const kind of ['image', 'audio', 'video', 'document', 'sticker']) {
      const media = (m as Record<string, unknown>)[kind] as { id: string } | undefined;
      if (media && mediaPrefix) media.id = `${mediaPrefix}-${media.id}`;
    }
  });
  return copy;
}

/** What the recorded payload must become (the normalized inbound Parley stores before answering 200). */
const EXPECTED: Record<string, Record<string, unknown> | 'ignored'> = {
  text: { text: 'Body Text', sender: { address: '+972502345678', addressKind: 'phone', displayName: 'Test Name' }, sentAt: '2023-10-11T16:53:43.000Z' },
  image: { attachments: [{ kind: 'image', mimeType: 'image/jpeg', size: 4 }] },
  'video-forwarded': { text: 'caption', attachments: [{ kind: 'video', caption: 'caption' }], metadata: { type: 'video', forwarded: true } },
  document: { text: 'caption', attachments: [{ kind: 'document', fileName: 'filename.pdf' }], metadata: { forwarded: true } },
  audio: { attachments: [{ kind: 'audio', mimeType: 'audio/ogg; codecs=opus' }] },
  voice: { attachments: [{ kind: 'audio' }] },
  'sticker-static': { attachments: [{ kind: 'sticker', mimeType: 'image/webp' }] },
  'sticker-animated': { attachments: [{ kind: 'sticker' }] },
  reaction: { amends: { kind: 'reaction', target: 'wamid.yzxyzx=', emoji: '😮' } },
  'reaction-removed-empty': { amends: { kind: 'reaction', target: 'wamid.yzxyzx=' } },
  'reaction-removed-no-emoji': { amends: { kind: 'reaction', target: 'wamid.yzxyzx=' } },
  'location-current': { location: { latitude: 12.25089, longitude: 43.90539 }, metadata: { forwarded: true } },
  'location-chosen': { location: { latitude: 37.4611978, longitude: -122.2164385, name: 'Facebook HQ', address: '1 Hacker Way, Menlo Park, CA 94025' } },
  contacts: {
    text: 'Contact card: Chandler Bing, +1 555-555-5555 (CELL)\nContact card: Monica, +1 666-666-6666 (HOME)\nContact card: Rachel Green, +1 777-777-7777 (WORK)',
    metadata: { type: 'contacts', contacts: [{ name: { formatted_name: 'Chandler Bing' } }, {}, {}] },
  },
  order: {
    text: 'Order (catalog 354160437058781): 3 × HAMBURGER at 30 ILS, 2 × FRENCH_FRIES at 35 ILS, 2 × SODA at 10 ILS; total 180 ILS',
    metadata: { order: { catalog_id: '354160437058781' } },
  },
  unsupported: {
    text: '[unsupported message Parley cannot show: Message type unknown (131051) Message type is currently not supported.]',
    metadata: { errors: [{ code: 131051 }] },
  },
  reply: { text: 'replied text', replyTo: 'wamid.xyzxyz==' },
  forwarded: { text: 'forwarded text', metadata: { forwarded: true } },
  'forwarded-many-times': { text: 'text forwarded many times', metadata: { frequentlyForwarded: true } },
  'interactive-with-error': { text: '[interactive message Parley cannot show]' },
  referral: { text: 'BODY', metadata: { referral: { source_id: 'ADID', source_type: 'ad or post', headline: 'AD_TITLE', ctwa_clid: 'CTWA_CLID' } } },
  'button-reply': { text: 'title', interactiveReply: { id: 'callback_data', title: 'title' }, replyTo: 'wamid.xyzxyz' },
  'button-template-quick-reply': { text: 'title', interactiveReply: { id: 'callback_data', title: 'title' } },
  'list-reply': { interactiveReply: { id: 'callback_data', title: 'title' } },
  'system-user-changed-number': { text: 'User A changed from 972502345678 to 972542345678', addressChange: { address: '+972542345678' } },
  'system-user-changed-user-id': { sender: { address: 'CO.1234567890', addressKind: 'opaque' }, addressChange: { address: 'MX.0987654321' } },
  'system-identity-changed': 'ignored',
  'text-meta-test-webhook': { text: 'this is a text message', sender: { address: '+16502530000', addressKind: 'phone', displayName: 'test user name' } },
  'image-with-caption': { text: 'This is a caption', attachments: [{ kind: 'image', mimeType: 'image/jpeg', caption: 'This is a caption' }] },
  'text-identity': { text: 'Hi from new number 3601', sender: { address: '+16502530001', addressKind: 'phone', displayName: 'Kerry Fisher' } },
  'edit-text': { amends: { kind: 'edit', target: 'wamid.zzzzzz', text: 'Text was edited' } },
  'edit-caption': { amends: { kind: 'edit', target: 'wamid.zzzzzz', text: 'caption' } },
  revoke: { amends: { kind: 'revoke', target: 'wamid.xyzxyz' } },
  'bsuid-only-sender': { text: 'Body Text', sender: { address: 'US.13491208655302741918', addressKind: 'opaque', displayName: 'Test Name' } },
  'image-file-size-string': { attachments: [{ kind: 'image' }] },
};

describe.each(dialects)('WhatsApp Cloud API: recorded payloads on %s', (dialect) => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let graph: FakeHttpServer;
  let graphUrl: string;
  let parley: Parley;
  let app: FastifyInstance;
  let dataDir: string;
  let logged: string[];
  /** Media ids the fake Graph API refuses, as Meta does for an expired or foreign id. */
  let refusedMedia: Set<string>;

  beforeEach(async () => {
    db = await freshDatabase(dialect);
    graph = new FakeHttpServer();
    graphUrl = await graph.listen();
    dataDir = mkdtempSync(join(tmpdir(), 'parley-wa-payloads-'));
    logged = [];
    refusedMedia = new Set();
    graph.route = (request, response) => {
      if (request.headers.authorization !== `Bearer ${TOKEN}`) return json(response, 401, { error: { message: 'Invalid OAuth access token.', code: 190 } });
      const media = /^\/v23\.0\/([\w-]+)$/.exec(request.url)?.[1];
      if (media && refusedMedia.has(media))
        return json(response, 400, { error: { message: 'Unsupported get request. Object with ID does not exist', code: 100, error_subcode: 33 } });
      if (media) return json(response, 200, { url: `${graphUrl}/download/${media}`, id: media });
      if (request.url.startsWith('/download/')) {
        response.writeHead(200, { 'content-type': 'application/octet-stream' });
        return response.end(Buffer.from([1, 2, 3, 4]));
      }
      if (request.url === `/v23.0/${PHONE_ID}/messages`) return json(response, 200, { messages: [{ id: `wamid.out.${graph.requests.length}` }] });
      json(response, 404, { error: { message: `no route ${request.url}`, code: 100 } });
    };
    const env = {
      WHATSAPP_ACCESS_TOKEN: TOKEN,
      WHATSAPP_PHONE_NUMBER_ID: PHONE_ID,
      WHATSAPP_APP_SECRET: SECRET,
      WHATSAPP_VERIFY_TOKEN: 'verify-me',
      WHATSAPP_GRAPH_URL: graphUrl,
      PARLEY_DATA_DIR: dataDir,
      WHATSAPP_MEDIA_HOSTS: '127.0.0.1',
      PARLEY_MEDIA_PRIVATE_ADDRESSES: '127.0.0.1',
    };
    const destination = new Writable({
      write(chunk, _encoding, done) {
        logged.push(String(chunk));
        done();
      },
    });
    parley = await testParley(db, {
      adapters: [(await openChannel(whatsappChannel, env)) as ChannelAdapter],
      env,
      logger: createLogger({ level: 'debug', destination }),
    });
    await parley.startChannels();
    app = await buildServer(parley);
  });

  afterEach(async () => {
    await app?.close();
    await parley?.stop();
    await graph.close();
    await db.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  function post(body: Record<string, unknown>) {
    const raw = JSON.stringify(body);
    const signature = `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`;
    return app.inject({
      method: 'POST',
      url: '/webhooks/whatsapp',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
      payload: raw,
    });
  }

  const stored = async (externalId: string) =>
    (await db.prisma.inboxEvent.findUnique({ where: { channel_externalId: { channel: 'whatsapp', externalId } } }))?.payload;

  it('has an expectation for every recorded inbound message payload, and a source for every file', () => {
    const files = readdirSync(FIXTURES).map((f) => f.replace(/\.json$/, ''));
    const messages = files.filter((f) => !f.startsWith('status-'));
    expect(messages.sort()).toEqual(Object.keys(EXPECTED).sort());
    const sources = readFileSync(join(FIXTURES, '..', 'SOURCES.md'), 'utf8');
    for (const file of files) expect(sources, `${file}.json has no source`).toMatch(new RegExp(`\\b${file}\\.json\\b|${file.replace(/^status-/, 'status-')}`));
  });

  it('stores every documented message type as something an agent can see, or ignores it with a debug line', async () => {
    for (const [name, expected] of Object.entries(EXPECTED)) {
      const body = withIds(fixture(name), (_old, i) => `${name}:${i}`, name);
      const response = await post(body);
      expect(response.statusCode, name).toBe(200);
      expect(response.json(), name).not.toHaveProperty('refused');
      const payload = await stored(`${name}:0`);
      if (expected === 'ignored') {
        expect(payload, name).toBeUndefined();
        expect(logged.join(''), name).toMatch(/"externalId":"system-identity-changed:0".*"msg":"whatsapp: message ignored"/);
      } else {
        expect(payload, name).toMatchObject({ channel: 'whatsapp', externalId: `${name}:0`, ...expected });
      }
    }
    // Then every one is handled into a message row, none fails.
    await settle(parley);
    expect(await db.prisma.inboxEvent.count({ where: { status: { not: 'done' } } })).toBe(0);
    expect(await db.prisma.message.count({ where: { direction: 'inbound' } })).toBe(Object.values(EXPECTED).filter((e) => e !== 'ignored').length);
  });

  it('refuses a malformed message alone: the valid one beside it is stored before the 200', async () => {
    const response = await post(fixture('malformed-location-strings', MALFORMED));
    expect(response.statusCode).toBe(200);
    expect(response.json().refused).toEqual([
      {
        at: 'entry.0.changes.0.value.messages.0',
        reason: 'location.latitude: Invalid input: expected number, received string; location.longitude: Invalid input: expected number, received string',
      },
    ]);
    expect(await stored('wamid.good1')).toMatchObject({ text: 'Body Text' });
    expect(await stored('wamid.bad1')).toBeUndefined();
  });

  it('applies an edit and a deletion to the stored message, and links a reaction to the message it reacts to', async () => {
    const original = (id: string, text: string) => {
      const body = withIds(fixture('text'), () => id);
      (messagesOf(body)[0] as unknown as { text: { body: string } }).text.body = text;
      return body;
    };
    await post(original('wamid.zzzzzz', 'سلام، سفارش ۱۲۳۴ کجاست؟'));
    await post(original('wamid.xyzxyz', 'my card number is 1234'));
    await post(original('wamid.yzxyzx=', 'Thanks!'));
    await settle(parley);
    await post(fixture('edit-text'));
    await post(fixture('revoke'));
    // pywa's reaction sample reuses the id wamid.xyzxyz, which an original above has: it gets its own here.
    await post(withIds(fixture('reaction'), () => 'wamid.reaction1'));
    await settle(parley);
    const message = (externalId: string) => db.prisma.message.findUniqueOrThrow({ where: { channel_externalId: { channel: 'whatsapp', externalId } } });
    expect((await message('wamid.zzzzzz')).text).toBe('Text was edited');
    expect((await message('wamid.xyzxyz')).text).toBe(REVOKED_TEXT);
    expect(await message('wamid.yyyyyy')).toMatchObject({ text: 'edited “سلام، سفارش ۱۲۳۴ کجاست؟” to: Text was edited', replyToExternalId: 'wamid.zzzzzz' });
    expect(await message('wamid.revoke1')).toMatchObject({ text: 'deleted “my card number is 1234”', replyToExternalId: 'wamid.xyzxyz' });
    expect(await message('wamid.reaction1')).toMatchObject({ text: 'reacted 😮 to “Thanks!”', replyToExternalId: 'wamid.yzxyzx=' });
    // None of them was answered as if it were a new question (only the three originals got the acknowledgement).
    expect(await db.prisma.message.count({ where: { direction: 'outbound' } })).toBe(3);
  });

  it("moves the customer's identity to the new number on user_changed_number", async () => {
    await post(fixture('text'));
    await settle(parley);
    const before = await db.prisma.channelIdentity.findFirstOrThrow();
    await post(fixture('system-user-changed-number'));
    await settle(parley);
    const after = await db.prisma.channelIdentity.findMany();
    expect(after).toEqual([expect.objectContaining({ id: before.id, customerId: before.customerId, address: '+972542345678' })]);
    // The next message from the new number reaches the same customer.
    const next = fixture('text');
    const m = messagesOf(next)[0] as unknown as { from: string; id: string };
    m.from = '972542345678';
    m.id = 'wamid.from-new-number';
    await post(next);
    await settle(parley);
    const conversations = await db.prisma.conversation.findMany({ select: { customerId: true } });
    expect(new Set(conversations.map((c) => c.customerId))).toEqual(new Set([before.customerId]));
  });

  it('accepts a sender known only by a business-scoped user id', async () => {
    const response = await post(fixture('bsuid-only-sender'));
    expect(response.statusCode).toBe(200);
    await settle(parley);
    const identity = await db.prisma.channelIdentity.findFirstOrThrow({ include: { customer: true } });
    expect(identity).toMatchObject({ address: 'US.13491208655302741918', customer: { name: 'Test Name' } });
  });

  it('keeps a message whose media id the Graph API refuses (caption and all), marks the attachment failed, and downloads it later in a job', async () => {
    refusedMedia.add('765756756');
    const response = await post(fixture('video-forwarded'));
    expect(response.statusCode).toBe(200);
    expect(await stored('wamid.xyzxyz')).toMatchObject({
      text: 'caption',
      attachments: [{ kind: 'video', caption: 'caption', mimeType: 'video/mp4', failed: { reason: 'Unsupported get request. Object with ID does not exist' } }],
    });
    await settle(parley);
    const row = () => db.prisma.message.findUniqueOrThrow({ where: { channel_externalId: { channel: 'whatsapp', externalId: 'wamid.xyzxyz' } } });
    expect((await row()).attachments).toMatchObject([{ failed: {} }]);
    const job = await db.prisma.job.findFirstOrThrow({ where: { kind: 'channel.retry' } });
    expect(job.runAt.getTime()).toBeGreaterThan(Date.now() + 30_000);

    // Still refused when the job first runs: it stays failed and is tried again later.
    await db.prisma.job.update({ where: { id: job.id }, data: { runAt: new Date() } });
    expect(await parley.jobs.runDue()).toBe(1);
    expect(await db.prisma.job.findUniqueOrThrow({ where: { id: job.id } })).toMatchObject({ status: 'pending', attempts: 1 });

    refusedMedia.clear();
    await db.prisma.job.update({ where: { id: job.id }, data: { runAt: new Date() } });
    expect(await parley.jobs.runDue()).toBe(1);
    expect(await db.prisma.job.findUniqueOrThrow({ where: { id: job.id } })).toMatchObject({ status: 'done' });
    const [attachment] = (await row()).attachments as { url: string; failed?: unknown; caption: string }[];
    expect(attachment).toMatchObject({ kind: 'video', caption: 'caption', mimeType: 'video/mp4', size: 4 });
    expect(attachment).not.toHaveProperty('failed');
    expect(readFileSync(fileURLToPath(attachment?.url as string))).toEqual(Buffer.from([1, 2, 3, 4]));
    // A webhook retry of the same body neither downloads again nor schedules a second job.
    const before = graph.requests.length;
    await post(fixture('video-forwarded'));
    expect(graph.requests.length).toBe(before);
    expect(await db.prisma.job.count({ where: { kind: 'channel.retry' } })).toBe(1);
  });

  it('downloads media once: a retried webhook reuses the file', async () => {
    await post(fixture('image'));
    await post(fixture('image'));
    expect(graph.requests.filter((r) => r.url.includes('65463453')).map((r) => r.url)).toEqual(['/v23.0/65463453', '/download/65463453']);
    const payload = (await stored('wamid.xyzxyz')) as { attachments: { url: string }[] };
    const path = fileURLToPath(payload.attachments[0]?.url as string);
    expect(existsSync(path)).toBe(true);
    expect(readFileSync(path)).toEqual(Buffer.from([1, 2, 3, 4]));
  });

  it('records a status for an unknown wamid once, however often Meta retries it', async () => {
    for (let i = 0; i < 3; i++) expect((await post(fixture('status-delivered'))).statusCode).toBe(200);
    expect(await db.prisma.earlyDeliveryStatus.count()).toBe(1);
    await post(fixture('status-read'));
    expect(await db.prisma.earlyDeliveryStatus.count()).toBe(2);
  });
});
