import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import wwebjs from 'whatsapp-web.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WhatsAppWebAdapter } from '../channels/whatsapp-web/adapter.ts';
import { clientOptions, type WebClient, type WebMedia, type WebMessage } from '../channels/whatsapp-web/client.ts';
import { whatsappWebChannel } from '../channels/whatsapp-web/index.ts';
import { enqueueOutbound } from '../src/pipeline/outbound.ts';
import type { Parley } from '../src/runtime.ts';
import { buildServer } from '../src/server/app.ts';
import { freshDatabase } from './support/databases.ts';
import { settle, testParley } from './support/parley.ts';
import { openChannel } from '../src/core/channel.ts';

/** Stands in for whatsapp-web.js's Client: the same events and methods, no browser. */
class FakeClient extends EventEmitter implements WebClient {
  initialized = 0;
  destroyed = 0;
  readonly sent: { chatId: string; content: string | WebMedia; options?: { caption?: string } }[] = [];
  #next = 0;

  async initialize(): Promise<void> {
    this.initialized++;
  }

  async destroy(): Promise<void> {
    this.destroyed++;
  }

  async sendMessage(chatId: string, content: string | WebMedia, options?: { caption?: string }): Promise<WebMessage> {
    this.sent.push({ chatId, content, options });
    const sent = message({ id: `true_${chatId}_OUT${++this.#next}`, from: 'me@c.us', fromMe: true });
    // The phone can acknowledge before sendMessage's promise settles.
    this.emit('message_ack', sent, 2);
    return sent;
  }
}

function message(fields: Partial<Omit<WebMessage, 'id'>> & { id: string; from: string }): WebMessage {
  const { id, ...rest } = fields;
  return {
    id: { _serialized: id },
    fromMe: false,
    body: '',
    type: 'chat',
    hasMedia: false,
    timestamp: 1790000000,
    downloadMedia: async () => undefined,
    getContact: async () => ({}),
    ...rest,
  };
}

describe('WhatsApp Web', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let parley: Parley;
  let app: FastifyInstance;
  let adapter: WhatsAppWebAdapter;
  let clients: FakeClient[];
  let printed: string[];
  let dataDir: string;

  const client = () => clients.at(-1) as FakeClient;

  /** The client fires events without waiting: wait until the adapter has stored `count` events. */
  async function stored(count: number) {
    for (let i = 0; i < 400 && (await db.prisma.inboxEvent.count()) < count; i++) await new Promise((r) => setTimeout(r, 5));
    expect(await db.prisma.inboxEvent.count()).toBe(count);
  }

  beforeEach(async () => {
    db = await freshDatabase('sqlite');
    dataDir = mkdtempSync(join(tmpdir(), 'parley-wweb-'));
    clients = [];
    printed = [];
    adapter = new WhatsAppWebAdapter({
      createClient: async () => {
        clients.push(new FakeClient());
        return { client: client(), makeMedia: (m) => m };
      },
      apiToken: 'api-token',
      groups: false,
      statusBroadcasts: false,
      reconnectDelaysMs: [1],
      printQr: (text) => printed.push(text),
    });
    parley = await testParley(db, { adapters: [adapter], env: { PARLEY_DATA_DIR: dataDir, PARLEY_API_TOKEN: 'api-token', PARLEY_ACK_TEXT: 'رسید' } });
    await parley.startChannels();
    app = await buildServer(parley);
  });

  afterEach(async () => {
    await app.close();
    await parley.stop();
    await db.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const readyz = async () => (await app.inject({ url: '/readyz' })).json().channels.find((c: { name: string }) => c.name === 'whatsapp-web');

  it('prints the pairing QR, serves it as a PNG only with the API token, and shows each state in /readyz', async () => {
    expect(client().initialized).toBe(1);
    expect(await readyz()).toMatchObject({ state: 'failed', detail: 'WhatsApp Web: starting' });
    client().emit('qr', '2@abcdef,ghijk,lmnop==');
    await new Promise((r) => setImmediate(r));
    expect(printed).toHaveLength(1);
    expect(printed[0]).toMatch(/[▀▄█]/);
    expect((await readyz()).detail).toMatch(/^WhatsApp Web: waiting for QR scan/);
    const png = await app.inject({ url: '/webhooks/whatsapp-web/qr.png', headers: { authorization: 'Bearer api-token' } });
    expect(png.statusCode).toBe(200);
    expect(png.headers['content-type']).toBe('image/png');
    expect(png.rawPayload.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const anonymous = await app.inject({ url: '/webhooks/whatsapp-web/qr.png' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().error).toMatch(/Bearer/);
    expect((await app.inject({ url: '/webhooks/whatsapp-web/qr.png', headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(401);

    client().emit('authenticated');
    client().emit('ready');
    expect(await readyz()).toMatchObject({ state: 'on', detail: 'WhatsApp Web: ready' });
    expect((await app.inject({ url: '/webhooks/whatsapp-web/qr.png', headers: { authorization: 'Bearer api-token' } })).json().error).toBe(
      'no pairing code to show: WhatsApp Web is ready',
    );
  });

  it('stores text and media, ignores groups, status broadcasts and own messages, and replies with delivery acks', async () => {
    client().emit('ready');
    client().emit('message', message({ id: 'false_989121234567@c.us_A1', from: '989121234567@c.us', body: 'سلام', _data: { notifyName: 'Sara' } }));
    client().emit('message', message({ id: 'false_120363@g.us_G1', from: '120363000000@g.us', author: '989121111111@c.us', body: 'group chatter' }));
    client().emit('message', message({ id: 'false_status@broadcast_S1', from: 'status@broadcast', isStatus: true, body: 'my story' }));
    client().emit('message', message({ id: 'true_989121234567@c.us_ME', from: '989121234567@c.us', fromMe: true, body: 'typed on the phone' }));
    client().emit(
      'message',
      message({
        id: 'false_971501234567@c.us_IMG',
        from: '971501234567@c.us',
        type: 'image',
        hasMedia: true,
        body: 'فاتورة',
        downloadMedia: async () => ({ mimetype: 'image/jpeg', data: Buffer.from('jpeg-bytes').toString('base64') }),
      }),
    );
    client().emit(
      'message',
      message({ id: 'false_55@lid_L1', from: '55555555@lid', body: 'hi from a lid', getContact: async () => ({ number: '989351234567' }) }),
    );
    await stored(3);
    await settle(parley);
    const inbound = await db.prisma.message.findMany({
      where: { direction: 'inbound' },
      include: { conversation: { include: { identity: true } } },
      orderBy: { id: 'asc' },
    });
    expect(inbound.map((m) => [m.conversation.identity.address, m.text]).sort()).toEqual([
      ['+971501234567', 'فاتورة'],
      ['+989121234567', 'سلام'],
      ['+989351234567', 'hi from a lid'],
    ]);
    const image = (inbound.find((m) => m.text === 'فاتورة')?.attachments as { url: string; kind: string; caption: string }[])[0];
    expect(image).toMatchObject({ kind: 'image', caption: 'فاتورة', mimeType: 'image/jpeg' });
    expect(readFileSync(fileURLToPath(image?.url as string)).toString()).toBe('jpeg-bytes');
    expect(image?.url).toContain(join(dataDir, 'attachments', 'whatsapp-web'));

    // Replies went out, and the ack that arrived before sendMessage returned was applied.
    expect(
      client()
        .sent.map((s) => [s.chatId, s.content])
        .sort(),
    ).toEqual([
      ['971501234567@c.us', 'رسید'],
      ['989121234567@c.us', 'رسید'],
      ['989351234567@c.us', 'رسید'],
    ]);
    await parley.dispatcher.sweepEarlyStatuses();
    const replies = await db.prisma.message.findMany({ where: { direction: 'outbound' } });
    expect(replies.map((r) => r.deliveryStatus)).toEqual(['delivered', 'delivered', 'delivered']);
    client().emit('message_ack', message({ id: replies[0]?.externalId as string, from: 'me@c.us', fromMe: true }), 3);
    await new Promise((r) => setTimeout(r, 50));
    expect((await db.prisma.message.findUniqueOrThrow({ where: { id: replies[0]?.id as string } })).deliveryStatus).toBe('read');
  });

  it('sends media with the text as caption and buttons as numbered text', async () => {
    client().emit('ready');
    client().emit('message', message({ id: 'false_A1', from: '989121234567@c.us', body: 'hi' }));
    await stored(1);
    await settle(parley);
    const conversation = await db.prisma.conversation.findFirstOrThrow();
    const file = join(dataDir, 'receipt.pdf');
    writeFileSync(file, 'pdf');
    await db.write((tx) =>
      enqueueOutbound(tx, db.dialect, {
        conversationId: conversation.id,
        channel: 'whatsapp-web',
        recipient: '+989121234567',
        content: {
          text: 'راضی بودید؟',
          buttons: [
            { id: 'y', title: 'بله' },
            { id: 'n', title: 'خیر' },
          ],
        },
        authorKind: 'agent',
      }),
    );
    await db.write((tx) =>
      enqueueOutbound(tx, db.dialect, {
        conversationId: conversation.id,
        channel: 'whatsapp-web',
        recipient: '+989121234567',
        content: { text: 'رسید شما', attachments: [{ kind: 'document', url: pathToFileURL(file).href, mimeType: 'application/pdf', fileName: 'receipt.pdf' }] },
        authorKind: 'agent',
      }),
    );
    await settle(parley);
    expect(client().sent.slice(1)).toEqual([
      { chatId: '989121234567@c.us', content: 'راضی بودید؟\n1. بله\n2. خیر', options: undefined },
      {
        chatId: '989121234567@c.us',
        content: { mimetype: 'application/pdf', data: Buffer.from('pdf').toString('base64'), filename: 'receipt.pdf' },
        options: { caption: 'رسید شما' },
      },
    ]);
  });

  it('waits while disconnected, reconnects with a new client, and shows a new QR after a logout', async () => {
    client().emit('ready');
    const first = client();
    first.emit('disconnected', 'NAVIGATION');
    expect(await readyz()).toMatchObject({ state: 'failed', detail: 'WhatsApp Web: disconnected (NAVIGATION)' });
    client().emit('message', message({ id: 'false_A1', from: '989121234567@c.us', body: 'hi' }));
    await stored(1);
    await parley.processor.drain();
    // Not connected: the send is retried, not lost.
    await parley.dispatcher.runBatch();
    const pending = await db.prisma.outboxItem.findFirstOrThrow();
    expect(pending.status).toBe('pending');
    expect(pending.lastError).toMatch(/^WhatsApp Web is not connected \((disconnected: NAVIGATION|starting)\)/);
    await new Promise((r) => setTimeout(r, 20));
    expect(first.destroyed).toBe(1);
    expect(clients).toHaveLength(2);
    expect(client().initialized).toBe(1);
    client().emit('ready');
    await settle(parley);
    expect(client().sent).toHaveLength(1);

    client().emit('disconnected', 'LOGOUT');
    expect((await readyz()).detail).toBe('WhatsApp Web: logged out (LOGOUT)');
    await new Promise((r) => setTimeout(r, 20));
    expect(clients).toHaveLength(3);
    client().emit('qr', 'new-pairing-code');
    await new Promise((r) => setImmediate(r));
    expect(printed).toHaveLength(1);
  });

  it('maps reactions, edits, deletions, contact cards and locations to the same stored forms as the Cloud API', async () => {
    client().emit('ready');
    const from = '989121234567@c.us';
    client().emit('message', message({ id: 'false_989121234567@c.us_T1', from, body: 'سفارش ۱۲۳۴ کجاست؟' }));
    await stored(1);
    await settle(parley);
    const ours = (await db.prisma.message.findFirstOrThrow({ where: { direction: 'outbound' } })).externalId as string;

    client().emit('message_reaction', {
      id: { _serialized: 'false_989121234567@c.us_R1', fromMe: false },
      msgId: { _serialized: ours },
      senderId: from,
      reaction: '👍',
      timestamp: 1790000100,
    });
    client().emit('message_edit', message({ id: 'false_989121234567@c.us_T1', from, body: 'سفارش ۱۲۳۵ کجاست؟' }), 'سفارش ۱۲۳۵ کجاست؟', 'سفارش ۱۲۳۴ کجاست؟');
    await stored(3);
    client().emit('message', message({ id: 'false_989121234567@c.us_T2', from, body: 'my card is 6037-9911' }));
    await stored(4);
    client().emit('message_revoke_everyone', message({ id: 'false_989121234567@c.us_T2', from, type: 'revoked' }), null);
    // WhatsApp's own vCard form (whatsapp-web.js gives the cards in vCards).
    const vcard = 'BEGIN:VCARD\nVERSION:3.0\nN:Ahmadi;Sara;;;\nFN:Sara Ahmadi\nitem1.TEL;waid=989351234567:+98 935 123 4567\nitem1.X-ABLabel:Mobile\nEND:VCARD';
    client().emit('message', message({ id: 'false_989121234567@c.us_V1', from, type: 'vcard', body: vcard, vCards: [vcard] }));
    client().emit(
      'message',
      message({
        id: 'false_989121234567@c.us_L1',
        from,
        type: 'location',
        location: { latitude: '35.6892', longitude: '51.3890', description: 'Azadi Tower' },
      }),
    );
    // A reaction the business made from the phone is not the customer's.
    client().emit('message_reaction', {
      id: { _serialized: 'true_989121234567@c.us_R2', fromMe: true },
      msgId: { _serialized: 'false_989121234567@c.us_T1' },
      senderId: 'me@c.us',
      reaction: '❤️',
    });
    await stored(7);
    await settle(parley);

    const byId = async (externalId: string) => db.prisma.message.findUniqueOrThrow({ where: { channel_externalId: { channel: 'whatsapp-web', externalId } } });
    expect((await byId('false_989121234567@c.us_T1')).text).toBe('سفارش ۱۲۳۵ کجاست؟');
    expect((await byId('false_989121234567@c.us_T2')).text).toBe('(deleted by the customer)');
    expect(await byId('false_989121234567@c.us_R1:1f44d')).toMatchObject({ text: 'reacted 👍 to “رسید”', replyToExternalId: ours });
    expect(await byId('false_989121234567@c.us_V1')).toMatchObject({ text: 'Contact card: Sara Ahmadi, +98 935 123 4567' });
    expect(await byId('false_989121234567@c.us_L1')).toMatchObject({ location: { latitude: 35.6892, longitude: 51.389, name: 'Azadi Tower' } });
    const amendments = await db.prisma.message.findMany({ where: { replyToExternalId: { in: ['false_989121234567@c.us_T1', 'false_989121234567@c.us_T2'] } } });
    expect(amendments.map((m) => m.text).sort()).toEqual(['deleted “my card is 6037-9911”', 'edited “سفارش ۱۲۳۴ کجاست؟” to: سفارش ۱۲۳۵ کجاست؟']);
  });

  it('closes the browser on stop', async () => {
    const current = client();
    await parley.stop();
    expect(current.destroyed).toBe(1);
    expect(adapter.state).toBe('stopped');
    parley = await testParley(db, { adapters: [] });
  });

  it('builds the real client with LocalAuth in the data directory and the system Chromium, without launching it', () => {
    const options = clientOptions({ dataDir: '/var/lib/parley', chromiumPath: '/usr/bin/chromium' }, wwebjs.LocalAuth as never);
    const real = new wwebjs.Client(options as never) as unknown as {
      authStrategy: { dataPath: string };
      options: { puppeteer: { executablePath: string; args: string[]; headless: boolean } };
    };
    expect(real.authStrategy).toBeInstanceOf(wwebjs.LocalAuth);
    expect(real.authStrategy.dataPath).toBe('/var/lib/parley/whatsapp-web');
    expect(real.options.puppeteer).toMatchObject({ executablePath: '/usr/bin/chromium', headless: true });
    expect(real.options.puppeteer.args).toContain('--no-sandbox');
  });

  it('is off unless WHATSAPP_WEB_ENABLED', async () => {
    expect(await openChannel(whatsappWebChannel, {})).toEqual({
      off: 'set WHATSAPP_WEB_ENABLED=true to link a phone (and WHATSAPP_WEB_CHROMIUM if Chromium is not /usr/bin/chromium)',
    });
    expect(await openChannel(whatsappWebChannel, { WHATSAPP_WEB_ENABLED: 'true' })).toBeInstanceOf(WhatsAppWebAdapter);
  });
});
