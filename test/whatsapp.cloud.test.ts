import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { whatsappChannel } from '../channels/whatsapp/index.ts';
import { type ChannelAdapter, openChannel } from '../src/core/channel.ts';
import { createLogger, type Logger } from '../src/logger.ts';
import { enqueueOutbound } from '../src/pipeline/outbound.ts';
import type { Parley } from '../src/runtime.ts';
import { buildServer } from '../src/server/app.ts';
import { freshDatabase } from './support/databases.ts';
import { FakeHttpServer, json, type RecordedRequest } from './support/fake-http.ts';
import { settle, testParley } from './support/parley.ts';

const TOKEN = 'graph-access-token';
const SECRET = 'meta-app-secret';
const PHONE_ID = '106540352242922';
const CUSTOMER = '989121234567';

describe('WhatsApp Cloud API', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let graph: FakeHttpServer;
  let graphUrl: string;
  let parley: Parley;
  let app: FastifyInstance;
  let dataDir: string;
  let wamid = 0;

  async function start(env: Record<string, string> = {}, logger?: Logger) {
    graphUrl = await graph.listen();
    const fullEnv = {
      WHATSAPP_ACCESS_TOKEN: TOKEN,
      WHATSAPP_PHONE_NUMBER_ID: PHONE_ID,
      WHATSAPP_APP_SECRET: SECRET,
      WHATSAPP_VERIFY_TOKEN: 'verify-me',
      WHATSAPP_GRAPH_URL: graphUrl,
      PARLEY_DATA_DIR: dataDir,
      PARLEY_ACK_TEXT: 'ممنون، پیامتان رسید.',
      // The fake Graph API serves the media too: its loopback address is allowed on purpose.
      WHATSAPP_MEDIA_HOSTS: '127.0.0.1',
      PARLEY_MEDIA_PRIVATE_ADDRESSES: '127.0.0.1',
      ...env,
    };
    parley = await testParley(db, { adapters: [(await openChannel(whatsappChannel, fullEnv)) as ChannelAdapter], env: fullEnv, logger });
    await parley.startChannels();
    app = await buildServer(parley);
  }

  const sends = () => graph.requests.filter((r) => r.method === 'POST' && r.url === `/v23.0/${PHONE_ID}/messages`).map((r) => JSON.parse(r.body.toString()));

  /** A Graph API double that checks the token and the message shape, and answers like Meta. */
  function acceptSends(onSend?: (body: Record<string, unknown>, id: string) => Promise<void>) {
    graph.route = async (request, response) => {
      if (request.headers.authorization !== `Bearer ${TOKEN}`) return json(response, 401, { error: { message: 'Invalid OAuth access token.', code: 190 } });
      if (request.url === `/v23.0/${PHONE_ID}/messages`) {
        const body = JSON.parse(request.body.toString());
        // A phone number in `to`, or a business-scoped user id in `recipient` (Meta's BSUID format).
        const addressed = /^\d+$/.test(body.to) || (body.to === undefined && /^[A-Z]{2}\.(ENT\.)?[A-Za-z0-9]+$/.test(body.recipient));
        if (body.messaging_product !== 'whatsapp' || !addressed || !body[body.type])
          return json(response, 400, { error: { message: '(#100) Invalid parameter', code: 100 } });
        const id = `wamid.${++wamid}`;
        await onSend?.(body, id);
        const contact = body.to ? { input: body.to, wa_id: body.to } : { input: body.recipient, user_id: body.recipient };
        return json(response, 200, { messaging_product: 'whatsapp', contacts: [contact], messages: [{ id }] });
      }
      if (request.url === '/v23.0/media-1')
        return json(response, 200, { url: `${graphUrl}/download/media-1`, mime_type: 'image/jpeg', file_size: 4, id: 'media-1' });
      if (request.url === '/download/media-1') {
        response.writeHead(200, { 'content-type': 'image/jpeg' });
        return response.end(Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
      }
      if (request.url === `/v23.0/${PHONE_ID}/media`) return json(response, 200, { id: 'uploaded-1' });
      json(response, 404, { error: { message: `no route ${request.url}`, code: 100 } });
    };
  }

  function webhook(value: Record<string, unknown>, options: { secret?: string; tamper?: (body: string) => string } = {}) {
    const body = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [{ id: 'WABA', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { phone_number_id: PHONE_ID }, ...value } }] }],
    });
    const signature = `sha256=${createHmac('sha256', options.secret ?? SECRET)
      .update(body)
      .digest('hex')}`;
    return app.inject({
      method: 'POST',
      url: '/webhooks/whatsapp',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
      payload: options.tamper ? options.tamper(body) : body,
    });
  }

  /** `sentAt`: when Meta says the customer sent it (a webhook can arrive hours later). */
  const textMessage = (id: string, body: string, sentAt = new Date()) => ({
    contacts: [{ wa_id: CUSTOMER, profile: { name: 'مریم' } }],
    messages: [{ from: CUSTOMER, id, timestamp: String(Math.floor(sentAt.getTime() / 1000)), type: 'text', text: { body } }],
  });

  beforeEach(async () => {
    db = await freshDatabase('sqlite');
    graph = new FakeHttpServer();
    dataDir = mkdtempSync(join(tmpdir(), 'parley-wa-'));
    wamid = 0;
  });

  afterEach(async () => {
    await app?.close();
    await parley?.stop();
    await graph.close();
    await db.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers the verification challenge only with the verify token', async () => {
    await start();
    const ok = await app.inject({ url: '/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444' });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toBe('1158201444');
    const wrong = await app.inject({ url: '/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1' });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json().error).toMatch(/verify_token/);
  });

  it('never logs the verify token or another credential from a query string', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    await start({}, createLogger({ level: 'debug', destination }));
    const ok = await app.inject({ url: '/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444' });
    expect(ok.body).toBe('1158201444');
    await app.inject({ url: '/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=guess-9&hub.challenge=1' });
    await app.inject({ url: '/api/v1/customers?q=ali&access_token=tok-123&api_key=key-456&signature=sig-789' });
    const logged = lines.join('');
    expect(logged).toContain('/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=%5Bredacted%5D&hub.challenge=1158201444');
    expect(logged).toContain('/api/v1/customers?q=ali&access_token=%5Bredacted%5D');
    for (const secret of ['verify-me', 'guess-9', 'tok-123', 'key-456', 'sig-789']) expect(logged).not.toContain(secret);
  });

  it('closes a Graph API call that outlives its deadline (no connection left hanging) and tries again', async () => {
    await start({ PARLEY_SEND_TIMEOUTS: '300ms' });
    let closed = false;
    graph.route = async (request, response) => {
      // Meta never answers: the call hangs until the outbox's deadline aborts it.
      response.on('close', () => (closed = true));
      void request;
    };
    const response = await webhook(textMessage('wamid.hang', 'hello'));
    expect(response.statusCode).toBe(200);
    await settle(parley);
    for (let i = 0; i < 200 && !closed; i++) await new Promise((r) => setTimeout(r, 25));
    expect(closed).toBe(true);
    const outbox = await db.prisma.outboxItem.findFirstOrThrow();
    // Meta never answers here: every attempt is aborted, and the last one says why.
    expect(outbox.status).toBe('failed');
    expect(outbox.attempts).toBeGreaterThan(1);
    expect(outbox.lastError).toMatch(/no answer within 300 ms/);
  });

  it('stores a signed message before answering 200, then replies through the Graph API', async () => {
    await start();
    acceptSends();
    const response = await webhook(textMessage('wamid.in1', 'سلام'));
    expect(response.statusCode).toBe(200);
    expect(await db.prisma.inboxEvent.count()).toBe(1);
    await settle(parley);
    const customer = await db.prisma.customer.findFirstOrThrow({ include: { identities: true } });
    expect(customer.name).toBe('مریم');
    expect(customer.identities[0]?.address).toBe('+989121234567');
    expect(sends()).toEqual([
      { messaging_product: 'whatsapp', recipient_type: 'individual', to: CUSTOMER, type: 'text', text: { body: 'ممنون، پیامتان رسید.', preview_url: false } },
    ]);
    expect(await db.prisma.message.findFirstOrThrow({ where: { direction: 'outbound' } })).toMatchObject({ deliveryStatus: 'sent', externalId: 'wamid.1' });
    // Meta retries a webhook it thinks failed: stored once.
    expect((await webhook(textMessage('wamid.in1', 'سلام'))).statusCode).toBe(200);
    expect(await db.prisma.inboxEvent.count()).toBe(1);
  });

  it('answers a user known only by a business-scoped user id (a username, no number) in `recipient`, not `to`', async () => {
    await start();
    acceptSends();
    // Meta's BSUID-only sender (channels/whatsapp/fixtures/inbound/bsuid-only-sender.json), written now.
    const fixture = JSON.parse(readFileSync(fileURLToPath(new URL('../channels/whatsapp/fixtures/inbound/bsuid-only-sender.json', import.meta.url)), 'utf8'));
    const { contacts, messages } = fixture.entry[0].changes[0].value;
    messages[0].timestamp = String(Math.floor(Date.now() / 1000));
    expect((await webhook({ contacts, messages })).statusCode).toBe(200);
    await settle(parley);
    expect(sends()).toEqual([
      {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        recipient: 'US.13491208655302741918',
        type: 'text',
        text: { body: 'ممنون، پیامتان رسید.', preview_url: false },
      },
    ]);
    expect(await db.prisma.message.findFirstOrThrow({ where: { direction: 'outbound' } })).toMatchObject({ deliveryStatus: 'sent', externalId: 'wamid.1' });
  });

  it('refuses tampered, wrongly signed and unsigned bodies with a clear error and stores nothing', async () => {
    await start();
    const tampered = await webhook(textMessage('wamid.in1', 'hello'), { tamper: (b) => b.replace('hello', 'refund') });
    expect(tampered.statusCode).toBe(403);
    expect(tampered.json().error).toBe('X-Hub-Signature-256 does not match the body (check WHATSAPP_APP_SECRET)');
    expect((await webhook(textMessage('wamid.in2', 'hello'), { secret: 'other' })).statusCode).toBe(403);
    const unsigned = await app.inject({ method: 'POST', url: '/webhooks/whatsapp', headers: { 'content-type': 'application/json' }, payload: '{}' });
    expect(unsigned.statusCode).toBe(403);
    expect(unsigned.json().error).toBe('X-Hub-Signature-256 header is missing');
    expect(await db.prisma.inboxEvent.count()).toBe(0);
  });

  it('takes in button and list replies, locations and media (downloaded through the Graph API into the data directory)', async () => {
    await start();
    acceptSends();
    const response = await webhook({
      contacts: [{ wa_id: CUSTOMER, profile: { name: 'Ali' } }],
      messages: [
        {
          from: CUSTOMER,
          id: 'wamid.b',
          type: 'interactive',
          interactive: { type: 'button_reply', button_reply: { id: 'csat_5', title: 'عالی' } },
          context: { id: 'wamid.q' },
        },
        { from: '971501234567', id: 'wamid.l', type: 'interactive', interactive: { type: 'list_reply', list_reply: { id: 'topic_refund', title: 'Refund' } } },
        { from: '989351234567', id: 'wamid.loc', type: 'location', location: { latitude: 35.6892, longitude: 51.389, name: 'Azadi Tower' } },
        { from: '989361234567', id: 'wamid.img', type: 'image', image: { id: 'media-1', mime_type: 'image/jpeg', caption: 'رسید پرداخت' } },
      ],
    });
    expect(response.statusCode).toBe(200);
    const events = await db.prisma.inboxEvent.findMany({ orderBy: { externalId: 'asc' } });
    const payload = (id: string) => events.find((e) => e.externalId === id)?.payload as Record<string, unknown>;
    expect(payload('wamid.b')).toMatchObject({ interactiveReply: { id: 'csat_5', title: 'عالی' }, text: 'عالی', replyTo: 'wamid.q' });
    expect(payload('wamid.l')).toMatchObject({ interactiveReply: { id: 'topic_refund' }, sender: { address: '+971501234567' } });
    expect(payload('wamid.loc')).toMatchObject({ location: { latitude: 35.6892, longitude: 51.389, name: 'Azadi Tower' } });
    const image = payload('wamid.img') as { text: string; attachments: { url: string; kind: string; mimeType: string; size: number }[] };
    expect(image.text).toBe('رسید پرداخت');
    expect(image.attachments[0]).toMatchObject({ kind: 'image', mimeType: 'image/jpeg', size: 4 });
    const path = fileURLToPath(image.attachments[0]?.url as string);
    expect(path).toBe(join(dataDir, 'attachments', 'whatsapp', 'media-1.jpg'));
    expect(readFileSync(path)).toEqual(Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
    // Both the metadata and the bytes were fetched with the token.
    expect(graph.requests.filter((r) => r.url.includes('media-1')).map((r) => r.headers.authorization)).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]);
  });

  const failedAttachment = async (externalId: string) => {
    const event = await db.prisma.inboxEvent.findUniqueOrThrow({ where: { channel_externalId: { channel: 'whatsapp', externalId } } });
    return (event.payload as { attachments: { failed?: { reason: string } }[] }).attachments[0]?.failed?.reason;
  };

  it('stores the message with the attachment marked failed when a media download fails, and retries it in a job (never a 500 for days)', async () => {
    await start();
    graph.route = (_request, response) => json(response, 500, { error: { message: 'Service temporarily unavailable', code: 2 } });
    const response = await webhook({ messages: [{ from: CUSTOMER, id: 'wamid.img', type: 'image', image: { id: 'media-1', caption: 'رسید' } }] });
    expect(response.statusCode).toBe(200);
    expect(await failedAttachment('wamid.img')).toBe('Service temporarily unavailable');
    expect(await db.prisma.job.findFirstOrThrow({ where: { kind: 'channel.retry' } })).toMatchObject({ dedupKey: 'channel.retry:whatsapp:media:media-1' });
  });

  it('puts a media id into the Graph path as one encoded segment: ../ cannot reach another path with the token', async () => {
    await start();
    acceptSends();
    const response = await webhook({ messages: [{ from: CUSTOMER, id: 'wamid.img', type: 'image', image: { id: '../../me/accounts' } }] });
    expect(response.statusCode).toBe(200);
    expect(graph.requests.map((r) => r.url)).toEqual(['/v23.0/..%2F..%2Fme%2Faccounts']);
    const dots = await webhook({ messages: [{ from: CUSTOMER, id: 'wamid.img2', type: 'image', image: { id: '..' } }] });
    expect(dots.statusCode).toBe(200);
    expect(graph.requests).toHaveLength(1);
    expect(await failedAttachment('wamid.img2')).toBe('".." is not a Graph API id');
  });

  it('downloads media only from the allowed hosts, never from a private address not listed', async () => {
    await start({ PARLEY_MEDIA_PRIVATE_ADDRESSES: '' });
    acceptSends();
    const image = { messages: [{ from: CUSTOMER, id: 'wamid.img', type: 'image', image: { id: 'media-1' } }] };
    expect((await webhook(image)).statusCode).toBe(200);
    expect(graph.requests.map((r) => r.url)).toEqual(['/v23.0/media-1']);
    expect(await failedAttachment('wamid.img')).toMatch(/127\.0\.0\.1/);
  });

  it('refuses media larger than PARLEY_MEDIA_MAX_BYTES', async () => {
    await start({ PARLEY_MEDIA_MAX_BYTES: '3' });
    acceptSends();
    const response = await webhook({ messages: [{ from: CUSTOMER, id: 'wamid.img', type: 'image', image: { id: 'media-1' } }] });
    expect(response.statusCode).toBe(200);
    expect(graph.requests.map((r) => r.url)).toEqual(['/v23.0/media-1', '/download/media-1']);
    expect(await failedAttachment('wamid.img')).toMatch(/3 bytes|PARLEY_MEDIA_MAX_BYTES|larger/);
  });

  it('applies statuses, including one that arrives before the send call returns and a failure with Meta’s code and title', async () => {
    await start();
    acceptSends(async (_body, id) => {
      const early = await webhook({ statuses: [{ id, status: 'delivered', timestamp: '1790000001', recipient_id: CUSTOMER }] });
      expect(early.statusCode).toBe(200);
    });
    await webhook(textMessage('wamid.in1', 'hi'));
    await settle(parley);
    await parley.dispatcher.sweepEarlyStatuses();
    const reply = await db.prisma.message.findFirstOrThrow({ where: { direction: 'outbound' } });
    expect(reply.deliveryStatus).toBe('delivered');

    await webhook({ statuses: [{ id: 'wamid.1', status: 'read', timestamp: '1790000002' }] });
    expect((await db.prisma.message.findUniqueOrThrow({ where: { id: reply.id } })).deliveryStatus).toBe('read');

    acceptSends();
    await webhook(textMessage('wamid.in2', 'again'));
    await settle(parley);
    await webhook({
      statuses: [
        {
          id: 'wamid.2',
          status: 'failed',
          errors: [{ code: 131026, title: 'Message undeliverable', error_data: { details: 'Receiver is incapable of receiving this message' } }],
        },
      ],
    });
    const failed = await db.prisma.message.findFirstOrThrow({ where: { externalId: 'wamid.2' } });
    expect(failed.deliveryStatus).toBe('failed');
    expect(failed.failureReason).toBe('Meta 131026: Message undeliverable (Receiver is incapable of receiving this message)');
  });

  async function agentSends(content: Parameters<typeof enqueueOutbound>[2]['content']) {
    const conversation = await db.prisma.conversation.findFirstOrThrow();
    const id = await db.write((tx) =>
      enqueueOutbound(tx, db.dialect, { conversationId: conversation.id, channel: 'whatsapp', recipient: `+${CUSTOMER}`, content, authorKind: 'agent' }),
    );
    await settle(parley);
    return db.prisma.message.findUniqueOrThrow({ where: { id } });
  }

  it('sends buttons, lists, media links and uploaded local files as Cloud API messages', async () => {
    await start();
    acceptSends();
    await webhook(textMessage('wamid.in1', 'hi'));
    await settle(parley);
    graph.requests.length = 0;
    await agentSends({
      text: 'از خدمات ما راضی بودید؟',
      buttons: [
        { id: 'yes', title: 'بله' },
        { id: 'no', title: 'خیر' },
      ],
    });
    await agentSends({
      text: 'Pick a topic',
      list: { button: 'Topics', sections: [{ title: 'Orders', rows: [{ id: 'refund', title: 'Refund', description: 'Money back' }] }] },
    });
    await agentSends({ text: 'Your invoice', attachments: [{ kind: 'document', url: 'https://cdn.example.com/inv.pdf', fileName: 'inv.pdf' }] });
    const local = join(dataDir, 'photo.png');
    writeFileSync(local, Buffer.from('png'));
    await agentSends({ attachments: [{ kind: 'image', url: pathToFileURL(local).href, mimeType: 'image/png' }] });
    expect(sends().map(({ messaging_product: _p, recipient_type: _r, to: _t, ...rest }) => rest)).toEqual([
      {
        type: 'interactive',
        interactive: {
          type: 'button',
          body: { text: 'از خدمات ما راضی بودید؟' },
          action: {
            buttons: [
              { type: 'reply', reply: { id: 'yes', title: 'بله' } },
              { type: 'reply', reply: { id: 'no', title: 'خیر' } },
            ],
          },
        },
      },
      {
        type: 'interactive',
        interactive: {
          type: 'list',
          body: { text: 'Pick a topic' },
          action: { button: 'Topics', sections: [{ title: 'Orders', rows: [{ id: 'refund', title: 'Refund', description: 'Money back' }] }] },
        },
      },
      { type: 'document', document: { link: 'https://cdn.example.com/inv.pdf', caption: 'Your invoice', filename: 'inv.pdf' } },
      { type: 'image', image: { id: 'uploaded-1' } },
    ]);
    const upload = graph.requests.find((r) => r.url === `/v23.0/${PHONE_ID}/media`) as RecordedRequest;
    expect(upload.headers['content-type']).toMatch(/^multipart\/form-data/);
    expect(upload.body.toString()).toContain('name="messaging_product"\r\n\r\nwhatsapp');
  });

  it('outside the 24-hour window (counted from Meta’s timestamp, not from when the webhook came): no free-form send; the agent is told why, or the configured template goes instead', async () => {
    await start();
    acceptSends();
    // Sent 25 hours ago, delivered to Parley only now (Meta retries webhooks for days).
    await webhook(textMessage('wamid.in1', 'hi', new Date(Date.now() - 25 * 3600_000)));
    await settle(parley);
    const before = sends().length;
    const refused = await agentSends({ text: 'Your refund is approved' });
    expect(sends()).toHaveLength(before);
    expect(refused.deliveryStatus).toBe('failed');
    expect(refused.failureReason).toMatch(/^outside WhatsApp's 24-hour window: the customer last wrote 20\d\d-.*WHATSAPP_TEMPLATE_NAME is not set/);
    // An explicit template is always allowed.
    const templated = await agentSends({ template: { name: 'order_update', language: 'fa', params: ['۱۲۳۴'] } });
    expect(templated.deliveryStatus).toBe('sent');
    expect(sends().at(-1)).toMatchObject({
      type: 'template',
      template: { name: 'order_update', language: { code: 'fa' }, components: [{ type: 'body', parameters: [{ type: 'text', text: '۱۲۳۴' }] }] },
    });
  });

  it("outside the window sends the templates file's template for the purpose in the customer's language: Meta's documented template object; a bad variable is refused with the reason", async () => {
    const templates = join(dataDir, 'templates.yaml');
    writeFileSync(
      templates,
      [
        'templates:',
        '  - name: we_have_a_reply',
        '    purpose: reply',
        '    category: utility',
        '    variables: [text]',
        '    languages:',
        '      en: { body: "We have an answer: «{{1}}». Reply here.", buttons: [{ type: quick_reply, text: Continue, payload: go_on }, { type: quick_reply, text: Stop, payload: stop_it }] }',
        '      fa: { body: "پاسخ شما آماده است: «{{1}}». همین‌جا پاسخ دهید.", buttons: [{ type: quick_reply, text: ادامه, payload: go_on }, { type: quick_reply, text: توقف, payload: stop_it }] }',
        '  - name: winback_offer',
        '    purpose: winback',
        '    category: marketing',
        '    variables: [customer_name]',
        '    languages:',
        '      en: { body: "Hi {{1}}, we miss you!" }',
      ].join('\n'),
    );
    // The old setting stays the default for purposes the file has no template for.
    await start({ PARLEY_TEMPLATES_FILE: templates, WHATSAPP_TEMPLATE_NAME: 'generic_notice', WHATSAPP_TEMPLATE_LANGUAGE: 'en' });
    acceptSends();
    await webhook(textMessage('wamid.in1', 'سلام', new Date(Date.now() - 30 * 3600_000)));
    await settle(parley);
    await db.prisma.customer.updateMany({ data: { locale: 'fa-IR', name: null } });

    const sent = await agentSends({ text: 'بازپرداخت شما تأیید شد' });
    expect(sent.deliveryStatus).toBe('sent');
    const documented = readFileSync(fileURLToPath(new URL('../channels/whatsapp/fixtures/outbound/template-object.json', import.meta.url)), 'utf8');
    const payloads = ['go_on', 'stop_it'];
    const expected = JSON.parse(
      documented
        .replace('TEMPLATE_NAME', 'we_have_a_reply')
        .replace('LANGUAGE_AND_LOCALE_CODE', 'fa')
        .replace('TEXT_STRING', 'بازپرداخت شما تأیید شد')
        .replace(/PAYLOAD/g, () => payloads.shift()!),
    );
    expect(sends().at(-1)).toEqual({ messaging_product: 'whatsapp', recipient_type: 'individual', to: CUSTOMER, type: 'template', template: expected });

    // A text with a line break cannot be a template parameter: refused with where and why, nothing sent.
    const before = sends().length;
    const refused = await agentSends({ text: 'line one\nline two' });
    expect(sends()).toHaveLength(before);
    expect(refused.deliveryStatus).toBe('failed');
    expect(refused.failureReason).toMatch(/24-hour window.*; template we_have_a_reply \(fa\): variable \{\{1\}\} \(text\) has a line break$/);

    // The winback template's customer_name is missing: refused; a purpose with no template uses WHATSAPP_TEMPLATE_NAME.
    const noName = await agentSends({ text: 'we miss you', purpose: 'winback' });
    expect(noName.failureReason).toMatch(/template winback_offer \(en\): variable \{\{1\}\} \(customer_name\) has no value$/);
    await db.prisma.customer.updateMany({ data: { name: 'Sara' } });
    expect((await agentSends({ text: 'we miss you', purpose: 'winback' })).deliveryStatus).toBe('sent');
    expect(sends().at(-1).template).toEqual({
      name: 'winback_offer',
      language: { code: 'en' },
      components: [{ type: 'body', parameters: [{ type: 'text', text: 'Sara' }] }],
    });
    expect((await agentSends({ text: 'Your parcel left', purpose: 'notice' })).deliveryStatus).toBe('sent');
    expect(sends().at(-1).template).toEqual({ name: 'generic_notice', language: { code: 'en' } });
  });

  it('uses WHATSAPP_TEMPLATE_NAME outside the window when configured', async () => {
    await start({ WHATSAPP_TEMPLATE_NAME: 'we_have_a_reply', WHATSAPP_TEMPLATE_LANGUAGE: 'fa', WHATSAPP_TEMPLATE_TEXT_PARAM: 'true' });
    acceptSends();
    await webhook(textMessage('wamid.in1', 'hi', new Date(Date.now() - 30 * 3600_000)));
    await settle(parley);
    const sent = await agentSends({ text: 'بازپرداخت شما تأیید شد' });
    expect(sent.deliveryStatus).toBe('sent');
    expect(sends().at(-1)).toMatchObject({
      type: 'template',
      template: {
        name: 'we_have_a_reply',
        language: { code: 'fa' },
        components: [{ type: 'body', parameters: [{ type: 'text', text: 'بازپرداخت شما تأیید شد' }] }],
      },
    });
  });

  it('retries rate-limit errors later and fails permanent errors at once with Meta’s reason', async () => {
    await start();
    let calls = 0;
    graph.route = (request, response) => {
      const body = JSON.parse(request.body.toString() || '{}');
      calls++;
      if (body.to === CUSTOMER && calls === 1)
        return json(
          response,
          400,
          { error: { message: '(#131056) (Business Account, Consumer Account) pair rate limit hit', code: 131056 } },
          { 'retry-after': '0' },
        );
      if (body.to === CUSTOMER && calls === 2) return json(response, 429, { error: { message: '(#130429) Rate limit hit', code: 130429 } });
      if (body.to === CUSTOMER) return json(response, 200, { messages: [{ id: 'wamid.ok' }] });
      return json(response, 400, {
        error: { message: 'Recipient phone number not in allowed list', code: 131030, error_data: { details: 'Add it in the app dashboard' } },
      });
    };
    await webhook(textMessage('wamid.in1', 'hi'));
    await settle(parley);
    expect(await db.prisma.outboxItem.findFirstOrThrow()).toMatchObject({ status: 'sent', attempts: 3 });

    await webhook({ messages: [{ from: '971501234567', id: 'wamid.in2', type: 'text', text: { body: 'hi' } }] });
    await settle(parley);
    const refused = await db.prisma.outboxItem.findFirstOrThrow({ where: { recipient: '+971501234567' }, include: { message: true } });
    expect(refused).toMatchObject({ status: 'failed', attempts: 1 });
    expect(refused.message.failureReason).toBe('Meta 131030: Recipient phone number not in allowed list (Add it in the app dashboard)');
  });

  it('is off without credentials and says which variables turn it on', async () => {
    expect(await openChannel(whatsappChannel, { WHATSAPP_ACCESS_TOKEN: 'x' })).toEqual({
      off: 'set WHATSAPP_PHONE_NUMBER_ID, WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN to turn the WhatsApp Cloud API on',
    });
  });
});
