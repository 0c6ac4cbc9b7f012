import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signIdentity } from '../channels/webchat/identity.ts';
import { webchatChannel } from '../channels/webchat/index.ts';
import type { Entry } from '../channels/webchat/protocol.ts';
import { type ChannelAdapter, openChannel } from '../src/core/channel.ts';
import type { Parley } from '../src/runtime.ts';
import { buildServer } from '../src/server/app.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';
import { eventually } from './support/eventually.ts';
import { testParley } from './support/parley.ts';
import { WebchatClient } from './support/webchat-client.ts';

const ORIGIN = 'https://shop.example.com';
const IDENTITY_SECRET = 'site-identity-secret-0123456789';

describe.each(dialects)('website chat server on %s', (dialect) => {
  let db: TestDatabase;
  let parley: Parley;
  let app: FastifyInstance;
  let baseUrl: string;
  let dataDir: string;
  let env: Record<string, string>;

  async function start(extra: Record<string, string> = {}) {
    env = {
      PARLEY_DATA_DIR: dataDir,
      WEBCHAT_ALLOWED_ORIGINS: ORIGIN,
      WEBCHAT_IDENTITY_SECRET: IDENTITY_SECRET,
      PARLEY_ACK_TEXT: 'Thanks, we got it.',
      ...extra,
    };
    parley = await testParley(db, { adapters: [(await openChannel(webchatChannel, env)) as ChannelAdapter], env });
    await parley.start();
    app = await buildServer(parley);
    baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  }

  async function stop() {
    await app?.close();
    await parley?.stop();
  }

  beforeEach(async () => {
    db = await freshDatabase(dialect);
    dataDir = mkdtempSync(join(tmpdir(), 'parley-webchat-'));
  });
  afterEach(async () => {
    await stop();
    await db.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const inbound = () => db.prisma.message.findMany({ where: { direction: 'inbound' }, orderBy: { createdAt: 'asc' } });
  const replies = (entries: Entry[]) => entries.filter((e) => e.from !== 'visitor');

  it('stores a message before acknowledging it, pushes the reply, and stores a resend after a reconnect once', async () => {
    await start();
    const client = new WebchatClient(baseUrl);
    const { status, json } = await client.session();
    expect(status).toBe(200);
    const token = json.token as string;
    await client.connect(token);
    client.send({ type: 'message', clientId: 'c-00000001', text: 'سلام، سفارشم کجاست؟' });
    const ack = await client.waitFor('ack', (f) => f.clientId === 'c-00000001');
    // Acknowledged means stored: the inbox holds it (the processor may not have run yet).
    expect(await db.prisma.inboxEvent.count({ where: { channel: 'webchat' } })).toBe(1);
    await eventually(() => expect(replies(client.entries()).map((e) => e.text)).toEqual(['Thanks, we got it.']));

    // The page lost its connection before it saw the ack and sends the message again.
    await client.close();
    const again = new WebchatClient(baseUrl);
    await again.connect(token);
    again.send({ type: 'message', clientId: 'c-00000001', text: 'سلام، سفارشم کجاست؟' });
    again.send({ type: 'resume', after: 0 });
    expect((await again.waitFor('ack')).seq).toBe(ack.seq);
    await eventually(() => expect(again.entries().map((e) => e.from)).toEqual(['visitor', 'bot']));
    await eventually(async () => expect((await inbound()).map((m) => m.text)).toEqual(['سلام، سفارشم کجاست؟']));
    const identity = await db.prisma.channelIdentity.findFirstOrThrow({ where: { channel: 'webchat' } });
    expect(identity.address).toMatch(/^visitor:/);
    await again.close();
  });

  it('works over HTTP long-polling when WebSockets are blocked, and keeps replies for a page that was away', async () => {
    await start();
    const client = new WebchatClient(baseUrl);
    const token = (await client.session()).json.token as string;
    const sent = await client.http('/webchat/messages', token, { method: 'POST', body: { type: 'message', clientId: 'poll-0001', text: 'hello' } });
    expect(sent.json).toEqual({ frames: [{ type: 'ack', clientId: 'poll-0001', seq: 1 }] });
    // The poll is held until the reply is stored, then answers with it.
    const polled = await client.http('/webchat/poll?after=1', token);
    expect((polled.json.entries as Entry[]).map((e) => [e.seq, e.from, e.text])).toEqual([[2, 'bot', 'Thanks, we got it.']]);
    // Reading it is reported as the reply's delivery status.
    await client.http('/webchat/messages', token, { method: 'POST', body: { type: 'read', after: 1, upTo: 2 } });
    await eventually(async () => {
      const reply = await db.prisma.message.findFirstOrThrow({ where: { direction: 'outbound' } });
      expect(reply.deliveryStatus).toBe('read');
    });
    expect((await client.http('/webchat/poll?after=0', 'not-a-token')).status).toBe(401);
  });

  it('refuses a WebSocket handshake from an origin outside the allow-list, and a missing token', async () => {
    await start();
    const client = new WebchatClient(baseUrl, 'https://evil.example.net');
    const session = await client.session();
    expect(session.status).toBe(403);
    const token = (await new WebchatClient(baseUrl).session()).json.token as string;
    await expect(client.connect(token, 'https://evil.example.net')).rejects.toThrow('refused: 403');
    await expect(new WebchatClient(baseUrl).connect('forged.token')).rejects.toThrow('refused: 401');
  });

  it('bounds sizes and rates: a too-long text, too many messages from one visitor', async () => {
    await start({ WEBCHAT_MAX_TEXT: '20', WEBCHAT_MESSAGE_RATE: '2/m', WEBCHAT_SESSION_RATE: '2/m' });
    const client = new WebchatClient(baseUrl);
    const token = (await client.session()).json.token as string;
    await client.connect(token);
    client.send({ type: 'message', clientId: 'long-0001', text: 'x'.repeat(21) });
    expect((await client.waitFor('error')).code).toBe('too_long');
    for (const n of [1, 2, 3]) client.send({ type: 'message', clientId: `rate-000${n}`, text: `hi ${n}` });
    const limited = await client.waitFor('error', (f) => f.clientId === 'rate-0003');
    expect(limited.code).toBe('rate_limited');
    expect(limited.retryAfterMs).toBeGreaterThan(0);
    // New visitors per IP: the third session without a token is refused.
    expect((await client.session()).status).toBe(200);
    expect((await client.session()).status).toBe(429);
    // A visitor who has a token is never counted again.
    expect((await client.session({ token })).status).toBe(200);
    await client.close();
  });

  it('attaches a signed identity to the normalised email; refuses unsigned ones when enforced', async () => {
    await start({ WEBCHAT_IDENTITY_ENFORCE: 'true' });
    const client = new WebchatClient(baseUrl);
    const user = { userId: 'u-42', email: ' Sara.Ahmadi@Example.COM ', name: 'سارا احمدی' };
    expect((await client.session({ identity: user })).status).toBe(401);
    expect((await client.session({ identity: { ...user, hmac: signIdentity(IDENTITY_SECRET, { ...user, userId: 'u-43' }) } })).status).toBe(401);
    expect((await client.session()).status).toBe(401);
    const signed = await client.session({ identity: { ...user, hmac: signIdentity(IDENTITY_SECRET, user) } });
    expect(signed.status).toBe(200);
    expect(signed.json.visitor).toEqual({ name: 'سارا احمدی', verified: true });
    const token = signed.json.token as string;
    await client.http('/webchat/messages', token, { method: 'POST', body: { type: 'message', clientId: 'id-00001', text: 'hi' } });
    await eventually(async () => {
      const identity = await db.prisma.channelIdentity.findFirstOrThrow({ where: { channel: 'webchat' }, include: { customer: true } });
      expect(identity.address).toBe('sara.ahmadi@example.com');
      expect(identity.customer.name).toBe('سارا احمدی');
    });
  });

  it('normalises the pre-chat form and says which field is wrong', async () => {
    await start();
    const client = new WebchatClient(baseUrl);
    const bad = await client.session({ prechat: { name: 'Ali', phone: 'not a phone' } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json)).toContain('prechat.phone');
    const good = await client.session({ prechat: { name: 'علی', email: 'Ali@Example.com', phone: '۰۹۱۲ ۱۲۳ ۴۵۶۷' } });
    expect(good.status).toBe(200);
    await client.http('/webchat/messages', good.json.token as string, { method: 'POST', body: { type: 'message', clientId: 'pre-0001', text: 'hi' } });
    await eventually(async () => {
      const event = await db.prisma.inboxEvent.findFirstOrThrow({ where: { channel: 'webchat' } });
      expect(JSON.stringify(event)).toContain('+989121234567');
      expect(JSON.stringify(event)).toContain('ali@example.com');
    });
  });
});
