import type { FastifyInstance } from 'fastify';
import twilio from 'twilio';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { smsChannel } from '../channels/sms/index.ts';
import { type ChannelAdapter, openChannel } from '../src/core/channel.ts';
import { enqueueOutbound } from '../src/pipeline/outbound.ts';
import type { Parley } from '../src/runtime.ts';
import { buildServer } from '../src/server/app.ts';
import { freshDatabase } from './support/databases.ts';
import { FakeHttpServer, form, json, type RecordedRequest } from './support/fake-http.ts';
import { settle, testParley } from './support/parley.ts';

const ACCOUNT = 'AC00000000000000000000000000000001';
const TOKEN = 'twilio-auth-token';
const PUBLIC = 'https://parley.example.com';
const CUSTOMER = '+989121234567';
const BUSINESS = '+15005550006';

describe('SMS through Twilio', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let twilioApi: FakeHttpServer;
  let parley: Parley;
  let app: FastifyInstance;
  let sid = 0;

  async function start(env: Record<string, string> = {}) {
    const apiUrl = await twilioApi.listen();
    const fullEnv = {
      TWILIO_ACCOUNT_SID: ACCOUNT,
      TWILIO_AUTH_TOKEN: TOKEN,
      TWILIO_FROM: BUSINESS,
      TWILIO_API_URL: apiUrl,
      SMS_PUBLIC_URL: PUBLIC,
      PARLEY_ACK_TEXT: 'Thanks, we got it.',
      ...env,
    };
    const adapter = (await openChannel(smsChannel, fullEnv)) as ChannelAdapter;
    parley = await testParley(db, { adapters: [adapter], env: fullEnv });
    await parley.startChannels();
    app = await buildServer(parley);
  }

  /** A webhook as Twilio signs it: HMAC-SHA1 over the public URL and the sorted form fields. */
  function twilioPost(path: string, params: Record<string, string>, options: { tamper?: (p: Record<string, string>) => void; signature?: string } = {}) {
    const signature = options.signature ?? twilio.getExpectedTwilioSignature(TOKEN, `${PUBLIC}/webhooks/sms${path}`, params);
    const sent = { ...params };
    options.tamper?.(sent);
    return app.inject({
      method: 'POST',
      url: `/webhooks/sms${path}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      payload: new URLSearchParams(sent).toString(),
    });
  }

  const inbound = (sidValue: string, body: string, extra: Record<string, string> = {}) =>
    twilioPost('/inbound', { MessageSid: sidValue, AccountSid: ACCOUNT, From: CUSTOMER, To: BUSINESS, Body: body, NumMedia: '0', ...extra });

  const creates = () => twilioApi.requests.filter((r) => r.method === 'POST' && r.url === `/2010-04-01/Accounts/${ACCOUNT}/Messages.json`);

  function acceptCreates(onCreate?: (request: RecordedRequest, sid: string) => Promise<void>) {
    twilioApi.route = async (request, response) => {
      const auth = Buffer.from(`${ACCOUNT}:${TOKEN}`).toString('base64');
      if (request.headers.authorization !== `Basic ${auth}`) return json(response, 401, { code: 20003, message: 'Authenticate', status: 401 });
      if (request.url !== `/2010-04-01/Accounts/${ACCOUNT}/Messages.json`) return json(response, 404, { code: 20404, message: 'not found', status: 404 });
      const fields = form(request);
      if (!fields.get('To') || !(fields.get('Body') || fields.get('MediaUrl')))
        return json(response, 400, { code: 21602, message: 'Message body is required.', status: 400 });
      const messageSid = `SM${String(++sid).padStart(32, '0')}`;
      await onCreate?.(request, messageSid);
      json(response, 201, { sid: messageSid, status: 'queued', to: fields.get('To'), from: fields.get('From'), body: fields.get('Body') });
    };
  }

  beforeEach(async () => {
    db = await freshDatabase('sqlite');
    twilioApi = new FakeHttpServer();
    sid = 0;
  });

  afterEach(async () => {
    await app?.close();
    await parley?.stop();
    await twilioApi.close();
    await db.dispose();
  });

  it('stores a signed inbound SMS before answering Twilio and replies through the Messages API', async () => {
    await start();
    acceptCreates();
    const response = await inbound('SMin1', 'سلام، سفارش من کجاست؟');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/text\/xml/);
    expect(response.body).toContain('<Response></Response>');
    expect(await db.prisma.inboxEvent.count()).toBe(1);
    await settle(parley);
    const [create] = creates();
    const fields = form(create as RecordedRequest);
    expect(fields.get('To')).toBe(CUSTOMER);
    expect(fields.get('From')).toBe(BUSINESS);
    expect(fields.get('Body')).toBe('Thanks, we got it.');
    expect(fields.get('StatusCallback')).toBe(`${PUBLIC}/webhooks/sms/status`);
    const reply = await db.prisma.message.findFirstOrThrow({ where: { direction: 'outbound' } });
    expect(reply).toMatchObject({ deliveryStatus: 'sent', externalId: 'SM00000000000000000000000000000001' });
  });

  it('refuses a tampered or unsigned webhook with a clear error and stores nothing', async () => {
    await start();
    const tampered = await inbound('SMin1', 'hello', {}).then(async () => {
      await db.prisma.inboxEvent.deleteMany();
      return twilioPost(
        '/inbound',
        { MessageSid: 'SMin2', From: CUSTOMER, To: BUSINESS, Body: 'hello', NumMedia: '0' },
        {
          tamper: (p) => {
            p.Body = 'send me the refund';
          },
        },
      );
    });
    expect(tampered.statusCode).toBe(403);
    expect(tampered.json().error).toMatch(/X-Twilio-Signature does not match/);
    const unsigned = await app.inject({
      method: 'POST',
      url: '/webhooks/sms/inbound',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'MessageSid=SMin3&From=%2B989121234567&Body=hi',
    });
    expect(unsigned.statusCode).toBe(403);
    expect(unsigned.json().error).toBe('X-Twilio-Signature header is missing');
    expect(await db.prisma.inboxEvent.count()).toBe(0);
  });

  it('refuses media that is not http(s) on a Twilio host, and more media than Twilio sends, storing nothing', async () => {
    await start();
    const passwd = await inbound('SMfile', 'see attached', { NumMedia: '1', MediaUrl0: 'file:///etc/passwd', MediaContentType0: 'text/plain' });
    expect(passwd.statusCode).toBe(400);
    expect(passwd.json().error).toBe(
      'Twilio inbound webhook: MediaUrl0: file:///etc/passwd: only http and https URLs are fetched, not file: (SMS_MEDIA_HOSTS)',
    );
    const elsewhere = await inbound('SMhost', '', { NumMedia: '1', MediaUrl0: 'https://169.254.169.254/latest/meta-data/' });
    expect(elsewhere.statusCode).toBe(400);
    expect(elsewhere.json().error).toMatch(
      /MediaUrl0: .*host 169\.254\.169\.254 is not one of the allowed media hosts \(api\.twilio\.com, \*\.twiliocdn\.com\)/,
    );
    const flood = await inbound('SMmany', '', { NumMedia: '5000000' });
    expect(flood.statusCode).toBe(400);
    expect(flood.json().error).toBe('Twilio inbound webhook: NumMedia: Twilio sends at most 10 media files with one message');
    expect(await db.prisma.inboxEvent.count()).toBe(0);
  });

  /** A webhook through a reverse proxy: Twilio signed the public URL, Parley sees its own host and the proxy's X-Forwarded-* headers. */
  function viaProxy() {
    const params = { MessageSid: 'SMproxy', From: CUSTOMER, To: BUSINESS, Body: 'hi', NumMedia: '0' };
    return app.inject({
      method: 'POST',
      url: '/webhooks/sms/inbound',
      headers: {
        host: 'parley.internal:3000',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'sms.example.org',
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilio.getExpectedTwilioSignature(TOKEN, 'https://sms.example.org/webhooks/sms/inbound', params),
      },
      payload: new URLSearchParams(params).toString(),
    });
  }

  it('does not believe X-Forwarded-Proto/-Host for the signature URL without PARLEY_TRUST_PROXY', async () => {
    await start({ SMS_PUBLIC_URL: '' });
    const untrusted = await viaProxy();
    expect(untrusted.statusCode).toBe(403);
    expect(untrusted.json().error).toContain('for http://parley.internal:3000/webhooks/sms/inbound');
    expect(await db.prisma.inboxEvent.count()).toBe(0);
  });

  it('checks the signature against X-Forwarded-Proto/-Host when PARLEY_TRUST_PROXY=true', async () => {
    await start({ SMS_PUBLIC_URL: '', PARLEY_TRUST_PROXY: 'true' });
    expect((await viaProxy()).statusCode).toBe(200);
    expect(await db.prisma.inboxEvent.count()).toBe(1);
  });

  it('keeps MMS media as attachments', async () => {
    await start();
    acceptCreates();
    const response = await inbound('SMmms', '', {
      NumMedia: '2',
      MediaUrl0: 'https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM1/Media/ME1',
      MediaContentType0: 'image/jpeg',
      MediaUrl1: 'https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM1/Media/ME2',
      MediaContentType1: 'application/pdf',
    });
    expect(response.statusCode).toBe(200);
    await settle(parley);
    const message = await db.prisma.message.findFirstOrThrow({ where: { direction: 'inbound' } });
    expect(message.text).toBeNull();
    expect(message.attachments).toEqual([
      { kind: 'image', url: 'https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM1/Media/ME1', mimeType: 'image/jpeg' },
      { kind: 'document', url: 'https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM1/Media/ME2', mimeType: 'application/pdf' },
    ]);
  });

  it('applies a status callback that arrives before the send call returns, and reports failures with the error code', async () => {
    await start();
    acceptCreates(async (_request, messageSid) => {
      // Twilio can call back before its API response reaches Parley.
      const early = await twilioPost('/status', { MessageSid: messageSid, MessageStatus: 'delivered', To: CUSTOMER });
      expect(early.statusCode).toBe(204);
    });
    await inbound('SMin1', 'hello');
    await settle(parley);
    await parley.dispatcher.sweepEarlyStatuses();
    const reply = await db.prisma.message.findFirstOrThrow({ where: { direction: 'outbound' } });
    expect(reply.deliveryStatus).toBe('delivered');
    expect(reply.deliveredAt).toBeInstanceOf(Date);

    acceptCreates();
    await inbound('SMin2', 'hello again');
    await settle(parley);
    const second = await db.prisma.message.findFirstOrThrow({ where: { direction: 'outbound', externalId: 'SM00000000000000000000000000000002' } });
    const failed = await twilioPost('/status', { MessageSid: second.externalId as string, MessageStatus: 'undelivered', ErrorCode: '30007' });
    expect(failed.statusCode).toBe(204);
    const after = await db.prisma.message.findUniqueOrThrow({ where: { id: second.id } });
    expect(after.deliveryStatus).toBe('failed');
    expect(after.failureReason).toBe('Twilio 30007: filtered by the carrier as spam');
  });

  it('STOP opts out (Twilio answers it, Parley records the answer); nothing is sent afterwards; START opts back in', async () => {
    await start();
    acceptCreates();
    await inbound('SMin1', 'hello');
    await settle(parley);
    expect(creates()).toHaveLength(1);
    expect((await inbound('SMstop', 'Stop')).statusCode).toBe(200);
    await settle(parley);
    expect((await db.prisma.channelIdentity.findFirstOrThrow()).optedOutAt).toBeInstanceOf(Date);
    expect(creates()).toHaveLength(1);
    const recorded = await db.prisma.message.findFirstOrThrow({ where: { authorKind: 'system' } });
    expect(recorded.text).toMatch(/^You have successfully been unsubscribed/);
    expect(recorded.deliveryStatus).toBe('sent');

    const conversation = await db.prisma.conversation.findFirstOrThrow();
    const agentMessage = await db.write((tx) =>
      enqueueOutbound(tx, db.dialect, {
        conversationId: conversation.id,
        channel: 'sms',
        recipient: CUSTOMER,
        content: { text: 'Your order shipped' },
        authorKind: 'agent',
      }),
    );
    await settle(parley);
    expect(creates()).toHaveLength(1);
    expect(await db.prisma.message.findUniqueOrThrow({ where: { id: agentMessage } })).toMatchObject({
      deliveryStatus: 'failed',
      failureReason: 'recipient opted out',
    });

    await inbound('SMstart', 'START');
    await settle(parley);
    expect((await db.prisma.channelIdentity.findFirstOrThrow()).optedOutAt).toBeNull();
  });

  it('answers a Persian opt-out itself (Twilio does not know the word) in Persian, even though the number is now opted out', async () => {
    await start();
    acceptCreates();
    await inbound('SMstop', 'لغو');
    await settle(parley);
    expect((await db.prisma.channelIdentity.findFirstOrThrow()).optedOutAt).toBeInstanceOf(Date);
    const [create] = creates();
    expect(form(create as RecordedRequest).get('Body')).toMatch(/^اشتراک شما لغو شد/);
  });

  it('retries a rate-limited send, fails a refused one with Twilio’s reason, and records an opt-out Twilio reports', async () => {
    await start();
    let calls = 0;
    twilioApi.route = (request, response) => {
      calls++;
      const to = form(request).get('To');
      if (to === CUSTOMER && calls === 1) return json(response, 429, { code: 20429, message: 'Too Many Requests', status: 429 });
      if (to === CUSTOMER) return json(response, 201, { sid: 'SMok', status: 'queued' });
      if (to === '+989351234567') return json(response, 400, { code: 21610, message: 'Attempt to send to unsubscribed recipient', status: 400 });
      return json(response, 400, { code: 21211, message: "The 'To' number is not a valid phone number.", status: 400 });
    };
    await inbound('SMin1', 'hello');
    await settle(parley);
    const ok = await db.prisma.outboxItem.findFirstOrThrow({ include: { message: true } });
    expect(ok).toMatchObject({ status: 'sent', attempts: 2 });

    await twilioPost('/inbound', { MessageSid: 'SMin2', From: '+989351234567', To: BUSINESS, Body: 'hi', NumMedia: '0' });
    await settle(parley);
    const blocked = await db.prisma.message.findFirstOrThrow({ where: { direction: 'outbound', conversation: { identity: { address: '+989351234567' } } } });
    expect(blocked.deliveryStatus).toBe('failed');
    expect(blocked.failureReason).toBe('opted_out: Twilio 21610: recipient has unsubscribed (replied STOP)');
    expect((await db.prisma.channelIdentity.findFirstOrThrow({ where: { address: '+989351234567' } })).optedOutAt).toBeInstanceOf(Date);

    await twilioPost('/inbound', { MessageSid: 'SMin3', From: '+971501234567', To: BUSINESS, Body: 'hi', NumMedia: '0' });
    await settle(parley);
    const invalid = await db.prisma.outboxItem.findFirstOrThrow({ where: { recipient: '+971501234567' }, include: { message: true } });
    expect(invalid).toMatchObject({ status: 'failed', attempts: 1 });
    expect(invalid.message.failureReason).toBe('HTTP 400: Twilio 21211: invalid phone number');
  });

  it('waits as long as a 429 answer’s Retry-After asks before sending again', async () => {
    await start();
    twilioApi.route = (_request, response) => json(response, 429, { code: 20429, message: 'Too Many Requests', status: 429 }, { 'retry-after': '120' });
    await inbound('SMin1', 'hello');
    await parley.processor.drain();
    const before = Date.now();
    expect((await parley.dispatcher.runBatch()).attempted).toBe(1);

    const item = await db.prisma.outboxItem.findFirstOrThrow();
    expect(creates()).toHaveLength(1);
    expect(item).toMatchObject({ status: 'pending', attempts: 1, lastError: 'HTTP 429: Twilio 20429: Too Many Requests' });
    expect(item.nextAttemptAt.getTime()).toBeGreaterThanOrEqual(before + 120_000);
    expect((await parley.dispatcher.runBatch()).attempted).toBe(0);
    expect(creates()).toHaveLength(1);
  });

  it('keeps a bot message within the segment limit: split into several SMS, or truncated', async () => {
    const long = 'پیام شما دریافت شد و همکاران ما به‌زودی با شما تماس خواهند گرفت. '.repeat(4);
    await start({ SMS_MAX_SEGMENTS: '1', PARLEY_ACK_TEXT: long });
    acceptCreates();
    await inbound('SMin1', 'سلام');
    await settle(parley);
    const bodies = creates().map((c) => form(c).get('Body') as string);
    expect(bodies.length).toBeGreaterThan(1);
    for (const body of bodies) expect(body.length).toBeLessThanOrEqual(70);
    // Only the last part asks for delivery reports: its status stands for the whole text.
    expect(creates().map((c) => form(c).has('StatusCallback'))).toEqual([...bodies.slice(1).map(() => false), true]);
  });

  it('truncates instead when configured', async () => {
    await start({ SMS_MAX_SEGMENTS: '1', SMS_SEGMENT_LIMIT_MODE: 'truncate', PARLEY_ACK_TEXT: 'Thanks for writing to us. '.repeat(10) });
    acceptCreates();
    await inbound('SMin1', 'hi');
    await settle(parley);
    const bodies = creates().map((c) => form(c).get('Body') as string);
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toMatch(/^Thanks for writing to us\. .*[a-z.]\.\.\.$/);
    expect((bodies[0] as string).length).toBeLessThanOrEqual(160);
  });

  it('is off without credentials and says which variables turn it on', async () => {
    expect(await openChannel(smsChannel, {})).toEqual({ off: 'set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM to turn SMS on (Twilio)' });
  });
});
