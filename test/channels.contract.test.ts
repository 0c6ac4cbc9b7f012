import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webApi } from '@slack/bolt';
import { EventEmitter } from 'node:events';
import Fastify, { type FastifyInstance } from 'fastify';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { countSegments } from '../src/core/sms-segments.ts';
import { smsChannel } from '../channels/sms/index.ts';
import { WhatsAppWebAdapter } from '../channels/whatsapp-web/adapter.ts';
import type { WebClient, WebMedia, WebMessage } from '../channels/whatsapp-web/client.ts';
import { whatsappChannel } from '../channels/whatsapp/index.ts';
import type { WebhookBody } from '../channels/whatsapp/webhook.ts';
import { ConsoleAdapter } from '../channels/console/index.ts';
import { type ChannelAdapter, openChannel, SendError } from '../src/core/channel.ts';
import { OutboundContentSchema, type OutboundContent, type OutboundMessage } from '../src/core/message.ts';
import { SlackDesk } from '../src/desk/slack/plugin.ts';
import { SlackPoster } from '../src/desk/slack/poster.ts';
import { readSlackConfig, type SlackConfig } from '../src/desk/slack/settings.ts';
import { type ConversationHandler, HumanHandledConversation } from '../src/pipeline/handler.ts';
import { RateLimiter } from '../src/pipeline/rate-limiter.ts';
import { RoutingConfigSchema } from '../src/routing/config.ts';
import type { Parley } from '../src/runtime.ts';
import { chars, type ContractContext, channelContract, type Fixture, type OutboundCase, readFixtures } from './support/channel-contract.ts';
import { freshDatabase, type TestDatabase } from './support/databases.ts';
import { FakeSlack, postSigned } from './support/fake-slack.ts';
import { testCapabilities, testParley } from './support/parley.ts';
import { eventually } from './support/eventually.ts';
import { FakeHttpServer, form, json, type RecordedRequest } from './support/fake-http.ts';

const persian = 'سلام، سفارش شما ثبت شد و به زودی ارسال می‌شود. ';
const emoji = '👍🏽';

/** Contents every channel must render within its provider's limits. */
const outboundCases: OutboundCase[] = [
  { name: 'short text', content: { text: 'Thanks, we got your message.' } },
  { name: 'long Persian text', content: { text: persian.repeat(120) } },
  { name: 'text with emoji at every boundary', content: { text: emoji.repeat(3000) } },
  {
    name: 'three buttons',
    content: { text: 'How was our service?', buttons: ['Good', 'OK', 'Bad'].map((t, i) => ({ id: `b${i}`, title: t })) },
  },
  {
    name: 'four buttons (more than WhatsApp shows)',
    content: { text: 'Pick one', buttons: ['یک', 'دو', 'سه', 'چهار'].map((t, i) => ({ id: `b${i}`, title: t })) },
  },
  {
    name: 'buttons with long Persian titles',
    content: {
      text: 'کدام گزینه؟',
      buttons: [
        { id: 'a', title: 'پیگیری سفارش ثبت شده در هفته گذشته' },
        { id: 'b', title: 'پیگیری سفارش ثبت شده در ماه گذشته' },
      ],
    },
  },
  {
    name: 'a list of ten rows',
    content: {
      text: 'Choose a topic',
      list: { button: 'Topics', sections: [{ title: 'Help', rows: Array.from({ length: 10 }, (_, i) => ({ id: `r${i}`, title: `Topic ${i + 1}` })) }] },
    },
  },
  {
    name: 'a list of twelve rows',
    content: {
      text: 'Choose a topic',
      list: { button: 'Topics', sections: [{ rows: Array.from({ length: 12 }, (_, i) => ({ id: `r${i}`, title: `موضوع ${i + 1}` })) }] },
    },
  },
  {
    name: 'an image with a long caption',
    content: { text: persian.repeat(30), attachments: [{ kind: 'image', url: 'https://cdn.example.com/receipt.jpg', mimeType: 'image/jpeg' }] },
  },
  {
    name: 'a document with a short caption',
    content: {
      text: 'Your invoice',
      attachments: [{ kind: 'document', url: 'https://cdn.example.com/invoice.pdf', mimeType: 'application/pdf', fileName: 'invoice.pdf' }],
    },
  },
];

const outbound = (content: OutboundContent, channel: string, recipient: string): OutboundMessage => ({
  messageId: `msg-${Math.random().toString(36).slice(2)}`,
  conversationId: 'conv-1',
  channel,
  recipient,
  content: OutboundContentSchema.parse(content),
  attempt: 1,
});

async function mount(adapter: ChannelAdapter, context: ContractContext, prefix: string): Promise<FastifyInstance> {
  await adapter.start(context);
  const app = Fastify();
  if (adapter.webhooks) await app.register(adapter.webhooks, { prefix });
  await app.ready();
  return app;
}

// --- WhatsApp Cloud API -------------------------------------------------------------------

const META = { token: 'graph-token', secret: 'meta-app-secret', phoneNumberId: '106540352242922' };
const graph = new FakeHttpServer();
const graphSends: Record<string, unknown>[] = [];
/** What the fake Graph API answers to the next send (undefined: accepted). */
let graphRefusal: ((response: Parameters<typeof json>[0], request: RecordedRequest) => void) | undefined;
let wamid = 0;

graph.route = (request, response) => {
  const url = new URL(request.url, 'http://graph');
  if (request.method === 'POST' && url.pathname === `/v23.0/${META.phoneNumberId}/messages`) {
    if (graphRefusal) {
      const refuse = graphRefusal;
      graphRefusal = undefined;
      return refuse(response, request);
    }
    graphSends.push(JSON.parse(request.body.toString()));
    return json(response, 200, { messaging_product: 'whatsapp', messages: [{ id: `wamid.out${++wamid}` }] });
  }
  const media = /^\/v23\.0\/(\d+)$/.exec(url.pathname);
  if (media) return json(response, 200, { url: `http://127.0.0.1:${graphPort}/download/${media[1]}`, mime_type: 'image/jpeg', id: media[1] });
  if (url.pathname.startsWith('/download/')) {
    response.writeHead(200, { 'content-type': 'image/jpeg' });
    return response.end(Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
  }
  json(response, 404, { error: { message: `no route ${request.url}`, code: 100 } });
};
let graphPort = '';
afterAll(() => graph.close());

interface GraphReply {
  readonly reply?: { readonly id?: string; readonly title?: string };
}
interface GraphRow {
  readonly id?: string;
  readonly title?: string;
  readonly description?: string;
}
/** The fields of a Graph API send the limits below look at. */
interface GraphBody {
  readonly type?: string;
  readonly to?: string;
  readonly messaging_product?: string;
  readonly text?: { readonly body?: string };
  readonly interactive?: {
    readonly type?: string;
    readonly body?: { readonly text?: string };
    readonly action?: {
      readonly button?: string;
      readonly buttons?: readonly GraphReply[];
      readonly sections?: readonly { readonly rows?: readonly GraphRow[] }[];
    };
  };
  readonly template?: { readonly name?: string };
  readonly [media: string]: unknown;
}

/** Meta's limits (https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages#interactive-object and #text-object). */
function graphProblems(request: unknown): string[] {
  const body = request as GraphBody;
  const problems: string[] = [];
  const max = (what: string, text: unknown, limit: number) => {
    if (typeof text !== 'string' || chars(text) === 0) problems.push(`${what} is empty`);
    else if (chars(text) > limit) problems.push(`${what} has ${chars(text)} characters (max ${limit})`);
    else if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text)) problems.push(`${what} has a lone surrogate`);
  };
  const unique = (what: string, values: string[]) => {
    if (new Set(values).size !== values.length) problems.push(`${what} are not unique: ${values.join(', ')}`);
  };
  if (body.type === 'text') max('text.body', body.text?.body, 4096);
  else if (body.type === 'interactive' && body.interactive?.type === 'button') {
    max('interactive body', body.interactive.body?.text, 1024);
    const buttons = body.interactive.action?.buttons ?? [];
    if (buttons.length < 1 || buttons.length > 3) problems.push(`${buttons.length} buttons (Meta takes 1 to 3)`);
    buttons.forEach((b, i) => {
      max(`button ${i} title`, b.reply?.title, 20);
      max(`button ${i} id`, b.reply?.id, 256);
    });
    unique(
      'button titles',
      buttons.map((b) => b.reply?.title ?? ''),
    );
    unique(
      'button ids',
      buttons.map((b) => b.reply?.id ?? ''),
    );
  } else if (body.type === 'interactive' && body.interactive?.type === 'list') {
    max('interactive body', body.interactive.body?.text, 4096);
    max('list button', body.interactive.action?.button, 20);
    const sections = body.interactive.action?.sections ?? [];
    const rows = sections.flatMap((s) => s.rows ?? []);
    if (sections.length < 1 || sections.length > 10) problems.push(`${sections.length} sections (Meta takes 1 to 10)`);
    if (rows.length < 1 || rows.length > 10) problems.push(`${rows.length} rows (Meta takes 1 to 10)`);
    rows.forEach((r, i) => {
      max(`row ${i} title`, r.title, 24);
      max(`row ${i} id`, r.id, 200);
      if (r.description !== undefined) max(`row ${i} description`, r.description, 72);
    });
    unique(
      'row ids',
      rows.map((r) => r.id ?? ''),
    );
  } else if (body.type && ['image', 'video', 'document', 'audio', 'sticker'].includes(body.type)) {
    const media = body[body.type] as { link?: string; id?: string; caption?: string } | undefined;
    if (!media?.link && !media?.id) problems.push(`${body.type} has neither link nor id`);
    if (media?.caption !== undefined) max(`${body.type} caption`, media.caption, 1024);
  } else if (body.type === 'template') {
    if (!body.template?.name) problems.push('template has no name');
  } else problems.push(`unknown message type ${body.type}`);
  if (body.messaging_product !== 'whatsapp') problems.push('messaging_product is not whatsapp');
  if (!/^\d{6,15}$/.test(body.to ?? '')) problems.push(`to "${body.to}" is not a WhatsApp number`);
  return problems;
}

let whatsappAdapter: ChannelAdapter;
const graphError =
  (status: number, code: number | undefined, headers: Record<string, string> = {}) =>
  async () => {
    graphRefusal = (response) =>
      code === undefined ? json(response, status, 'not json', headers) : json(response, status, { error: { message: `refused (${code})`, code } }, headers);
    return whatsappAdapter.send(outbound({ text: 'hello' }, 'whatsapp', '+989121234567')).catch((error: unknown) => error);
  };

channelContract({
  channel: 'whatsapp',
  fixturesDir: 'channels/whatsapp/fixtures/inbound',
  webhook: true,
  async start(context) {
    const graphUrl = await graph.listen();
    graphPort = new URL(graphUrl).port;
    const env = {
      WHATSAPP_ACCESS_TOKEN: META.token,
      WHATSAPP_PHONE_NUMBER_ID: META.phoneNumberId,
      WHATSAPP_APP_SECRET: META.secret,
      WHATSAPP_VERIFY_TOKEN: 'verify-me',
      WHATSAPP_GRAPH_URL: graphUrl,
      // The fake Graph API serves the media too: its loopback address is allowed on purpose.
      WHATSAPP_MEDIA_HOSTS: '127.0.0.1',
      PARLEY_MEDIA_PRIVATE_ADDRESSES: '127.0.0.1',
    };
    whatsappAdapter = (await openChannel(whatsappChannel, env)) as ChannelAdapter;
    const app = await mount(whatsappAdapter, context, '/webhooks/whatsapp');
    return {
      async deliver(fixture: Fixture) {
        // Recorded bodies name other numbers: address each to the number under test, then sign it as Meta does.
        const body = JSON.parse(fixture.bytes.toString('utf8'));
        for (const entry of body.entry ?? [])
          for (const change of entry.changes ?? []) if (change.value?.metadata) change.value.metadata.phone_number_id = META.phoneNumberId;
        const raw = JSON.stringify(body);
        const signature = `sha256=${createHmac('sha256', META.secret).update(raw).digest('hex')}`;
        const response = await app.inject({
          method: 'POST',
          url: '/webhooks/whatsapp',
          headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
          payload: raw,
        });
        return { status: response.statusCode, body: response.body };
      },
      async stop() {
        await app.close();
        await whatsappAdapter.stop();
      },
    };
  },
  carriesMessage: (fixture) =>
    (JSON.parse(fixture.bytes.toString('utf8')) as WebhookBody).entry.some((e) => e.changes.some((c) => (c.value.messages ?? []).length > 0)),
  // A security-code change notice is logged at debug level and not stored (README: WhatsApp payload table).
  ignores: (fixture) => {
    const messages = (JSON.parse(fixture.bytes.toString('utf8')) as WebhookBody).entry.flatMap((e) => e.changes.flatMap((c) => c.value.messages ?? []));
    return messages.length > 0 && messages.every((m) => (m as { system?: { type?: string } }).system?.type === 'customer_identity_changed');
  },
  outbound: {
    cases: [...outboundCases, { name: 'a template', content: { template: { name: 'we_have_a_reply', language: 'fa', params: ['سارا'] } } }],
    async render(content) {
      const before = graphSends.length;
      await whatsappAdapter.send(outbound(content, 'whatsapp', '+989121234567'));
      return graphSends.slice(before);
    },
    problems: graphProblems,
  },
  // Meta's error codes: https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes
  sendErrors: [
    { name: 'HTTP 429 without a body', retryable: true, provoke: graphError(429, undefined, { 'retry-after': '1' }) },
    { name: 'HTTP 500 from Meta', retryable: true, provoke: graphError(500, 131000) },
    { name: 'Meta 130429: throughput reached', retryable: true, provoke: graphError(400, 130429) },
    { name: 'Meta 131056: pair rate limit', retryable: true, provoke: graphError(400, 131056) },
    { name: 'Meta 131030: recipient not in allowed list', retryable: false, provoke: graphError(400, 131030) },
    { name: 'Meta 131026: message undeliverable', retryable: false, provoke: graphError(400, 131026) },
    { name: 'Meta 100: invalid parameter', retryable: false, provoke: graphError(400, 100) },
    { name: 'Meta 190: access token expired', retryable: false, provoke: graphError(401, 190) },
    {
      name: 'connection reset',
      retryable: true,
      provoke: async () => {
        graphRefusal = (response) => response.socket?.destroy();
        return whatsappAdapter.send(outbound({ text: 'hello' }, 'whatsapp', '+989121234567')).catch((error: unknown) => error);
      },
    },
  ],
});

// --- SMS through Twilio -------------------------------------------------------------------

const TWILIO = { account: 'AC00000000000000000000000000000001', token: 'twilio-auth-token', from: '+15005550006', publicUrl: 'https://parley.example.com' };
const twilioApi = new FakeHttpServer();
const twilioCreates: URLSearchParams[] = [];
let twilioRefusal: ((response: Parameters<typeof json>[0]) => void) | undefined;
let smsSid = 0;
twilioApi.route = (request, response) => {
  if (request.url !== `/2010-04-01/Accounts/${TWILIO.account}/Messages.json`) return json(response, 404, { code: 20404, message: 'not found', status: 404 });
  if (twilioRefusal) {
    const refuse = twilioRefusal;
    twilioRefusal = undefined;
    return refuse(response);
  }
  twilioCreates.push(form(request));
  json(response, 201, { sid: `SM${String(++smsSid).padStart(32, '0')}`, status: 'queued' });
};
afterAll(() => twilioApi.close());

let smsAdapter: ChannelAdapter;
const twilioError = (status: number, code: number) => async () => {
  twilioRefusal = (response) => json(response, status, { code, message: `refused (${code})`, status, more_info: `https://www.twilio.com/docs/errors/${code}` });
  return smsAdapter.send(outbound({ text: 'hello' }, 'sms', '+14155552671')).catch((error: unknown) => error);
};

channelContract({
  channel: 'sms',
  fixturesDir: 'channels/sms/fixtures/inbound',
  webhook: true,
  async start(context) {
    const apiUrl = await twilioApi.listen();
    const env = {
      TWILIO_ACCOUNT_SID: TWILIO.account,
      TWILIO_AUTH_TOKEN: TWILIO.token,
      TWILIO_FROM: TWILIO.from,
      TWILIO_API_URL: apiUrl,
      SMS_PUBLIC_URL: TWILIO.publicUrl,
    };
    smsAdapter = (await openChannel(smsChannel, env)) as ChannelAdapter;
    const app = await mount(smsAdapter, context, '/webhooks/sms');
    return {
      async deliver(fixture: Fixture) {
        const params = JSON.parse(fixture.bytes.toString('utf8')) as Record<string, string>;
        const path = `/webhooks/sms/${fixture.name.startsWith('status-') ? 'status' : 'inbound'}`;
        const response = await app.inject({
          method: 'POST',
          url: path,
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'x-twilio-signature': twilio.getExpectedTwilioSignature(TWILIO.token, `${TWILIO.publicUrl}${path}`, params),
          },
          payload: new URLSearchParams(params).toString(),
        });
        return { status: response.statusCode, body: response.body };
      },
      async stop() {
        await app.close();
        await smsAdapter.stop();
      },
    };
  },
  carriesMessage: (fixture) => !fixture.name.startsWith('status-'),
  outbound: {
    cases: outboundCases,
    async render(content) {
      const before = twilioCreates.length;
      await smsAdapter.send(outbound(content, 'sms', '+14155552671'));
      return twilioCreates.slice(before);
    },
    // Twilio: a body of at most 1,600 characters, at most 10 media (https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource);
    // Parley's own cap: SMS_MAX_SEGMENTS (3) segments of GSM-7 or UCS-2 per SMS.
    problems(request) {
      const fields = request as URLSearchParams;
      const body = fields.get('Body') ?? '';
      const problems: string[] = [];
      if (!fields.get('To') || !(fields.get('From') || fields.get('MessagingServiceSid'))) problems.push('To or From missing');
      if (!body && fields.getAll('MediaUrl').length === 0) problems.push('neither Body nor MediaUrl');
      if (chars(body) > 1600) problems.push(`Body has ${chars(body)} characters (max 1600)`);
      const segments = countSegments(body).segments;
      if (segments > 3) problems.push(`Body needs ${segments} segments (SMS_MAX_SEGMENTS is 3)`);
      if (fields.getAll('MediaUrl').length > 10) problems.push('more than 10 MediaUrl');
      if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(body)) problems.push('Body has a lone surrogate');
      return problems;
    },
  },
  // Twilio's error codes: https://www.twilio.com/docs/api/errors
  sendErrors: [
    { name: 'HTTP 429 (20429 too many requests)', retryable: true, provoke: twilioError(429, 20429) },
    { name: 'HTTP 500', retryable: true, provoke: twilioError(500, 20500) },
    { name: 'HTTP 503', retryable: true, provoke: twilioError(503, 20503) },
    { name: '21211: invalid To number', retryable: false, provoke: twilioError(400, 21211) },
    { name: '21610: recipient unsubscribed', retryable: false, provoke: twilioError(400, 21610) },
    { name: '21408: region not enabled', retryable: false, provoke: twilioError(400, 21408) },
    { name: '20003: authentication failed', retryable: false, provoke: twilioError(401, 20003) },
    {
      name: 'connection reset',
      retryable: true,
      provoke: async () => {
        twilioRefusal = (response) => response.socket?.destroy();
        return smsAdapter.send(outbound({ text: 'hello' }, 'sms', '+14155552671')).catch((error: unknown) => error);
      },
    },
  ],
});

// --- WhatsApp Web (through a fake whatsapp-web.js client) -------------------------------------

/** Stands in for whatsapp-web.js's Client: the same events and methods, no browser. */
class FakeWebClient extends EventEmitter implements WebClient {
  readonly sent: { chatId: string; content: string | WebMedia; options?: { caption?: string } }[] = [];
  /** Makes the next sendMessage fail as the page does when WhatsApp Web breaks. */
  failNext: Error | undefined;
  #next = 0;

  async initialize(): Promise<void> {}
  async destroy(): Promise<void> {}

  async sendMessage(chatId: string, content: string | WebMedia, options?: { caption?: string }): Promise<WebMessage> {
    if (this.failNext) {
      const error = this.failNext;
      this.failNext = undefined;
      throw error;
    }
    this.sent.push({ chatId, content, options });
    return webMessage({ id: { _serialized: `true_${chatId}_OUT${++this.#next}` }, from: 'me@c.us', fromMe: true }, undefined);
  }
}

const WebEventSchema = z.object({
  event: z.enum(['message', 'message_ack']),
  ack: z.number().int().optional(),
  message: z.looseObject({ id: z.looseObject({ _serialized: z.string() }), from: z.string(), fromMe: z.boolean().default(false) }),
  media: z.object({ mimetype: z.string(), data: z.string(), filename: z.string().nullable() }).optional(),
});

function webMessage(fields: Record<string, unknown>, media: WebMedia | undefined): WebMessage {
  return {
    body: '',
    type: 'chat',
    hasMedia: false,
    fromMe: false,
    ...fields,
    downloadMedia: async () => media,
    getContact: async () => ({}),
  } as unknown as WebMessage;
}

const mediaServer = new FakeHttpServer();
let mediaUrl = '';
mediaServer.route = (request, response) => {
  if (request.url === '/gone.pdf') return json(response, 404, { error: 'not found' });
  if (request.url === '/busy.pdf') return json(response, 503, { error: 'busy' });
  response.writeHead(200, { 'content-type': 'application/pdf' });
  response.end(Buffer.from('%PDF-1.4\n'));
};
afterAll(() => mediaServer.close());

let webClient: FakeWebClient;
let webAdapter: WhatsAppWebAdapter;
const webSend = (content: OutboundContent) => webAdapter.send(outbound(content, 'whatsapp-web', '+989121234567')).catch((error: unknown) => error);

channelContract({
  channel: 'whatsapp-web',
  fixturesDir: 'channels/whatsapp-web/fixtures/inbound',
  webhook: false,
  async start(context) {
    mediaUrl = await mediaServer.listen();
    webClient = new FakeWebClient();
    webAdapter = new WhatsAppWebAdapter({
      createClient: async () => ({ client: webClient, makeMedia: (media) => media }),
      apiToken: undefined,
      groups: false,
      statusBroadcasts: false,
      reconnectDelaysMs: [60_000],
      printQr: () => {},
    });
    await webAdapter.start(context);
    await eventually(() => expect(webClient.listenerCount('message')).toBeGreaterThan(0));
    webClient.emit('ready');
    return {
      async deliver(fixture: Fixture) {
        const event = WebEventSchema.parse(JSON.parse(fixture.bytes.toString('utf8')));
        const message = webMessage(event.message, event.media);
        if (event.event === 'message') webClient.emit('message', message);
        else webClient.emit('message_ack', message, event.ack ?? 0);
        return undefined;
      },
      stop: () => webAdapter.stop(),
    };
  },
  carriesMessage: (fixture) => WebEventSchema.parse(JSON.parse(fixture.bytes.toString('utf8'))).event === 'message',
  outbound: {
    // Media is fetched by the adapter: served from 127.0.0.1 here.
    cases: [
      ...outboundCases.filter((c) => !c.content.attachments?.length),
      {
        name: 'a document with a Persian caption',
        content: {
          text: persian,
          attachments: [{ kind: 'document', url: 'http://media.invalid/invoice.pdf', mimeType: 'application/pdf', fileName: 'invoice.pdf' }],
        },
      },
    ],
    async render(content) {
      const before = webClient.sent.length;
      const attachments = (content.attachments ?? []).map((a) => ({ ...a, url: a.url?.replace('http://media.invalid', mediaUrl) }));
      await webAdapter.send(outbound({ ...content, attachments }, 'whatsapp-web', '+989121234567'));
      return webClient.sent.slice(before);
    },
    // WhatsApp's message limit is 65,536 characters; captions go with the media; chats are <number>@c.us.
    problems(request) {
      const sent = request as FakeWebClient['sent'][number];
      const problems: string[] = [];
      if (!/^\d{6,15}@c\.us$/.test(sent.chatId)) problems.push(`chat id ${sent.chatId} is not <number>@c.us`);
      const text = typeof sent.content === 'string' ? sent.content : (sent.options?.caption ?? '');
      if (typeof sent.content === 'string' && chars(text) === 0) problems.push('empty text');
      if (chars(text) > 65_536) problems.push(`text has ${chars(text)} characters (max 65536)`);
      if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text)) problems.push('text has a lone surrogate');
      if (typeof sent.content !== 'string' && (!sent.content.mimetype || !sent.content.data)) problems.push('media without mimetype or data');
      return problems;
    },
  },
  sendErrors: [
    {
      name: 'the page fails while sending (WhatsApp Web broke; reconnecting helps)',
      retryable: true,
      provoke: async () => {
        webClient.failNext = new Error('Evaluation failed: TypeError: Cannot read properties of undefined');
        return webSend({ text: 'hello' });
      },
    },
    {
      name: 'an attachment URL answers 404',
      retryable: false,
      provoke: () => webSend({ attachments: [{ kind: 'document', url: `${mediaUrl}/gone.pdf` }] }),
    },
    {
      name: 'an attachment URL answers 503',
      retryable: true,
      provoke: () => webSend({ attachments: [{ kind: 'document', url: `${mediaUrl}/busy.pdf` }] }),
    },
    {
      name: 'an attachment file that does not exist',
      retryable: false,
      provoke: () => webSend({ attachments: [{ kind: 'document', url: 'file:///nonexistent/parley/invoice.pdf' }] }),
    },
  ],
});

// --- Slack agent desk (the real Bolt app and Parley runtime against the fake Slack) -----------

const SLACK = { secret: 'slack-signing-secret', token: 'xoxb-contract-token', support: 'CSUPPORT1' };
const slackFixtures = 'src/desk/slack/fixtures';
const slackFixture = (name: string) =>
  JSON.parse(readFileSync(join(slackFixtures, name), 'utf8')) as { event: Record<string, unknown> } & Record<string, unknown>;
const longPersian = persian.repeat(200);

/** Hands the conversation to support on the first message, with a long Persian description. */
const handOffFlow: ConversationHandler = {
  name: 'contract-hand-off',
  async handle(turn) {
    turn.reply({ text: 'یک همکار به زودی پاسخ می‌دهد.' });
    turn.handOff({ team: 'support', priority: 'high', note: persian.repeat(40), collected: { category: 'delivery', description: persian.repeat(80) } });
  },
};

interface SlackRender {
  readonly where: string;
  readonly text: string;
  readonly blocks?: unknown[];
}

/**
 * Slack's documented limits: chat.postMessage text 40,000 characters and 50 blocks
 * (https://docs.slack.dev/reference/methods/chat.postMessage); section text 3,000 and fields
 * 2,000 each, at most 10 (https://docs.slack.dev/reference/block-kit/blocks/section-block);
 * button text 75, action_id 255, value 2,000 (https://docs.slack.dev/reference/block-kit/block-elements/button-element);
 * header text 150 (https://docs.slack.dev/reference/block-kit/blocks/header-block).
 */
function slackProblems(render: SlackRender): string[] {
  const problems: string[] = [];
  const at = (what: string) => `${render.where}: ${what}`;
  if (chars(render.text) > 40_000) problems.push(at(`text has ${chars(render.text)} characters (max 40000)`));
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(render.text)) problems.push(at('text has a lone surrogate'));
  const blocks = render.blocks ?? [];
  if (blocks.length > 50) problems.push(at(`${blocks.length} blocks (max 50)`));
  const textOf = (value: unknown) => String((value as { text?: unknown } | undefined)?.text ?? '');
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const item = node as Record<string, unknown>;
    if (item.type === 'section') {
      if (chars(textOf(item.text)) > 3000) problems.push(at(`section text has ${chars(textOf(item.text))} characters (max 3000)`));
      const fields = (item.fields as unknown[] | undefined) ?? [];
      if (fields.length > 10) problems.push(at(`section has ${fields.length} fields (max 10)`));
      for (const field of fields) if (chars(textOf(field)) > 2000) problems.push(at(`section field has ${chars(textOf(field))} characters (max 2000)`));
    }
    if (item.type === 'header' && chars(textOf(item.text)) > 150) problems.push(at(`header has ${chars(textOf(item.text))} characters (max 150)`));
    if (item.type === 'button') {
      if (chars(textOf(item.text)) > 75) problems.push(at(`button text "${textOf(item.text)}" has ${chars(textOf(item.text))} characters (max 75)`));
      if (typeof item.value === 'string' && chars(item.value) > 2000) problems.push(at(`button value has ${chars(item.value)} characters (max 2000)`));
    }
    if (typeof item.action_id === 'string' && chars(item.action_id) > 255) problems.push(at(`action_id has ${chars(item.action_id)} characters (max 255)`));
    Object.values(item).forEach(walk);
  };
  walk(blocks);
  return problems;
}

describe('slack desk: channel contract', () => {
  let db: TestDatabase;
  let fake: FakeSlack;
  let parley: Parley;
  let desk: SlackDesk;
  let events: string;
  let cardTs: string;
  const printed: string[] = [];
  let seq = 0;

  beforeAll(async () => {
    db = await freshDatabase('sqlite');
    fake = await new FakeSlack({
      token: SLACK.token,
      channels: { [SLACK.support]: ['UBOT', 'UAGENT1'] },
      users: { UAGENT1: { name: 'سارا احمدی', email: 'sara@example.com' } },
    }).start();
    desk = new SlackDesk(
      readSlackConfig({
        SLACK_BOT_TOKEN: SLACK.token,
        SLACK_SIGNING_SECRET: SLACK.secret,
        SLACK_API_URL: fake.apiUrl,
        SLACK_PORT: '0',
        SLACK_TEAM_CHANNELS: JSON.stringify({ support: SLACK.support }),
        SLACK_DEFAULT_CHANNEL: SLACK.support,
      }) as SlackConfig,
      { host: '127.0.0.1' },
    );
    const console = new ConsoleAdapter('console', { ...testCapabilities, addressKind: 'opaque' }, (text) => printed.push(text));
    const human = new HumanHandledConversation();
    parley = await testParley(db, {
      adapters: [console],
      handlers: (c) => (c.status === 'bot' ? handOffFlow : human),
      env: { PARLEY_RATE_LIMITS: 'slack:recipient=1/10ms', PARLEY_DATA_DIR: mkdtempSync(join(tmpdir(), 'parley-contract-slack-')) },
      plugins: [desk],
      routingConfig: RoutingConfigSchema.parse({}),
    });
    await parley.start();
    events = `http://127.0.0.1:${desk.port}/slack/events`;
    // A long Persian conversation: the card and the transcript carry it.
    const customer = { address: 'ali', addressKind: 'opaque' as const, displayName: 'علیرضا محمدحسینی '.repeat(10).trim() };
    await parley.inbox.accept({ channel: 'console', externalId: 'c1', sender: customer, text: longPersian, raw: {} });
    await eventually(() => expect(fake.topLevel(SLACK.support)).toHaveLength(1));
    cardTs = (fake.topLevel(SLACK.support)[0] as { ts: string }).ts;
    for (let i = 2; i <= 4; i++)
      await parley.inbox.accept({ channel: 'console', externalId: `c${i}`, sender: customer, text: `${i}. ${longPersian}`, raw: {} });
    await eventually(() => expect(fake.threadOf(SLACK.support, cardTs).some((m) => m.text.includes('4. '))).toBe(true));
  }, 60_000);

  afterAll(async () => {
    await parley?.stop();
    await fake?.stop();
    await db?.dispose();
  });

  const agentMessages = () => db.prisma.message.count({ where: { authorKind: 'agent' } });
  const outboxItems = () => db.prisma.outboxItem.count({ where: { message: { authorKind: 'agent' } } });

  /** A recorded event, moved into the test conversation's thread and signed as Slack does. */
  const eventBody = (name: string, event: (recorded: Record<string, unknown>) => Record<string, unknown>) => {
    const recorded = slackFixture(name);
    return JSON.stringify({ ...recorded, event_id: `EvContract${++seq}`, event_time: Math.floor(Date.now() / 1000), event: event(recorded.event) });
  };
  const deliver = (body: string, headers: Record<string, string> = {}) => postSigned(events, SLACK.secret, body, 'application/json', { headers });
  const threadReply = (text?: string) =>
    eventBody('message_thread_reply.json', (e) => ({
      ...e,
      channel: SLACK.support,
      user: 'UAGENT1',
      ts: `1800001000.${String(++seq).padStart(6, '0')}`,
      thread_ts: cardTs,
      ...(text ? { text } : {}),
    }));
  /** The customer has the agent's Slack message `ts`: its outbox item is sent. */
  const sentReplies = async (ts: string) => {
    const post = await db.prisma.slackPost.findFirst({ where: { channelId: SLACK.support, ts, kind: 'agent' } });
    return post?.messageId ? db.prisma.outboxItem.count({ where: { messageId: post.messageId, status: 'sent' } }) : 0;
  };
  const tsOf = (body: string) => (JSON.parse(body) as { event: { ts: string } }).event.ts;

  it('refuses an event with a bad X-Slack-Signature and stores nothing', async () => {
    const before = await agentMessages();
    const answer = await postSigned(events, SLACK.secret, threadReply(), 'application/json', { signature: `v0=${'0'.repeat(64)}` });
    expect(answer.status).toBe(401);
    const stale = await postSigned(events, SLACK.secret, threadReply(), 'application/json', { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    expect(stale.status).toBe(401);
    expect(await agentMessages()).toBe(before);
  });

  it("stores an agent's thread reply (message_thread_reply.json) before Slack gets its 2xx, and queues it for the customer once", async () => {
    const before = { messages: await agentMessages(), outbox: await outboxItems() };
    const body = threadReply();
    const answer = await deliver(body);
    expect(answer.status).toBe(200);
    // Read right after the answer: the reply and its outbox item were committed before it.
    expect(await agentMessages()).toBe(before.messages + 1);
    expect(await outboxItems()).toBe(before.outbox + 1);
    await eventually(() => expect(printed).toContain('Hello world'));
  });

  it('stores a retried event (same event_id, X-Slack-Retry-Num) once', async () => {
    const body = threadReply('retried reply');
    expect((await deliver(body)).status).toBe(200);
    const once = { messages: await agentMessages(), outbox: await outboxItems() };
    expect((await deliver(body, { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' })).status).toBe(200);
    expect((await deliver(body, { 'x-slack-retry-num': '2', 'x-slack-retry-reason': 'http_timeout' })).status).toBe(200);
    expect({ messages: await agentMessages(), outbox: await outboxItems() }).toEqual(once);
    await eventually(() => expect(printed.filter((p) => p === 'retried reply')).toHaveLength(1));
  });

  it('does not acknowledge when the reply cannot be stored, so Slack retries; the retry stores it', async () => {
    const body = threadReply('stored on the retry');
    const before = await agentMessages();
    const reply = vi.spyOn(parley.desk, 'reply').mockRejectedValueOnce(new Error('the database is unavailable'));
    try {
      const answer = await deliver(body);
      expect(answer.status).toBeGreaterThanOrEqual(500);
      expect(await agentMessages()).toBe(before);
    } finally {
      reply.mockRestore();
    }
    expect((await deliver(body, { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_error' })).status).toBe(200);
    expect(await agentMessages()).toBe(before + 1);
  });

  it('decodes message_changed.json: the edit of a sent reply is explained in the thread', async () => {
    const sent = threadReply('ارسال شد');
    expect((await deliver(sent)).status).toBe(200);
    await eventually(() => expect(printed).toContain('ارسال شد'));
    await eventually(async () => expect(await sentReplies(tsOf(sent))).toBe(1));
    const edit = eventBody('message_changed.json', (e) => {
      const message = e.message as Record<string, unknown>;
      return {
        ...e,
        channel: SLACK.support,
        message: { ...message, user: 'UAGENT1', ts: tsOf(sent), thread_ts: cardTs, edited: { user: 'UAGENT1', ts: `1800002000.${++seq}` } },
      };
    });
    expect((await deliver(edit)).status).toBe(200);
    await eventually(() => expect(fake.threadOf(SLACK.support, cardTs).some((m) => m.text.includes(':pencil2:') && m.text.includes('ارسال شد'))).toBe(true));
  });

  it('decodes message_deleted.json: deleting a long Persian reply already sent is explained in the thread', async () => {
    const sent = threadReply(longPersian);
    expect((await deliver(sent)).status).toBe(200);
    await eventually(async () => expect(await sentReplies(tsOf(sent))).toBe(1));
    const deletion = eventBody('message_deleted.json', (e) => ({
      ...e,
      channel: SLACK.support,
      deleted_ts: tsOf(sent),
      previous_message: { user: 'UAGENT1', thread_ts: cardTs },
    }));
    expect((await deliver(deletion)).status).toBe(200);
    await eventually(() => expect(fake.threadOf(SLACK.support, cardTs).some((m) => m.text.includes(':wastebasket:'))).toBe(true));
  });

  it('decodes file_share_slack_connect.json: the agent is told why the file is not forwarded', async () => {
    const { files } = JSON.parse(readFileSync(join(slackFixtures, 'file_share_slack_connect.json'), 'utf8')) as { files: unknown[] };
    const before = await agentMessages();
    const share = eventBody('message_thread_reply.json', (e) => ({
      ...e,
      subtype: 'file_share',
      text: '',
      files,
      channel: SLACK.support,
      user: 'UAGENT1',
      ts: `1800003000.${++seq}`,
      thread_ts: cardTs,
    }));
    expect((await deliver(share)).status).toBe(200);
    await eventually(() =>
      expect(fake.ephemerals.some((e) => e.text.includes('Not forwarded to the customer') && e.text.includes('Slack Connect'))).toBe(true),
    );
    expect(await agentMessages()).toBe(before);
  });

  it('decodes app_mention.json: acknowledged, nothing reaches the customer (the desk answers in threads only)', async () => {
    const before = await agentMessages();
    const mention = eventBody('app_mention.json', (e) => ({
      ...e,
      channel: SLACK.support,
      text: '<@UBOT> سلام',
      ts: `1800004000.${++seq}`,
      thread_ts: cardTs,
    }));
    expect((await deliver(mention)).status).toBe(200);
    expect(await agentMessages()).toBe(before);
  });

  it('has a case above for every recorded Slack payload', () => {
    const covered = ['app_mention.json', 'file_share_slack_connect.json', 'message_changed.json', 'message_deleted.json', 'message_thread_reply.json'];
    expect(
      readFixtures(slackFixtures)
        .map((f) => f.name)
        .filter((n) => n.endsWith('.json')),
    ).toEqual(covered);
  });

  it("renders the long Persian conversation's card, transcript and notices within Slack's limits", async () => {
    // The card is updated as the conversation changes: check every version Slack received.
    const renders: SlackRender[] = fake.messages.flatMap((m) => [
      { where: `post ${m.ts}`, text: m.text, blocks: m.blocks },
      ...m.updates.map((u, i) => ({ where: `update ${i + 1} of ${m.ts}`, text: u.text, blocks: u.blocks })),
    ]);
    renders.push(...fake.ephemerals.map((e, i) => ({ where: `ephemeral ${i + 1}`, text: e.text, blocks: e.blocks })));
    const card = fake.topLevel(SLACK.support)[0];
    expect(card?.blocks?.length).toBeGreaterThan(0);
    expect(JSON.stringify(card?.blocks)).toContain('سفارش شما ثبت شد');
    expect(fake.threadOf(SLACK.support, cardTs).length).toBeGreaterThan(3);
    expect(renders.flatMap(slackProblems)).toEqual([]);
    // The check finds what it is there to find.
    expect(
      slackProblems({ where: 'probe', text: 'x'.repeat(40_001), blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } }] }),
    ).toHaveLength(2);
  });

  describe('classifies Slack Web API errors', () => {
    const api = new FakeHttpServer();
    let poster: SlackPoster;
    let apiUrl = '';
    beforeAll(async () => {
      apiUrl = await api.listen();
      const client = new webApi.WebClient(SLACK.token, { slackApiUrl: `${apiUrl}/api/`, rejectRateLimitedCalls: true, retryConfig: { retries: 0 } });
      poster = new SlackPoster(client, new RateLimiter(), { count: 1000, perMs: 1000 });
    });
    afterAll(() => api.close());
    const post = () => poster.post({ channel: SLACK.support, text: 'hello' }).catch((error: unknown) => error);
    const platformError = (error: string) => (_request: RecordedRequest, response: Parameters<typeof json>[0]) => json(response, 200, { ok: false, error });

    // https://docs.slack.dev/reference/methods/chat.postMessage#errors and https://docs.slack.dev/apis/web-api/rate-limits
    it.each([
      [
        'ratelimited (HTTP 429, Retry-After: 7)',
        true,
        (_r: RecordedRequest, res: Parameters<typeof json>[0]) => json(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': '7' }),
      ],
      ['HTTP 503', true, (_r: RecordedRequest, res: Parameters<typeof json>[0]) => json(res, 503, { ok: false, error: 'service_unavailable' })],
      ['connection reset', true, (_r: RecordedRequest, res: Parameters<typeof json>[0]) => res.socket?.destroy()],
      ['invalid_auth', false, platformError('invalid_auth')],
      ['channel_not_found', false, platformError('channel_not_found')],
      ['not_in_channel', false, platformError('not_in_channel')],
    ] as const)('%s: retryable %s', async (_name, retryable, answer) => {
      api.route = answer;
      const error = await post();
      expect(error).toBeInstanceOf(SendError);
      expect((error as SendError).retryable).toBe(retryable);
      if (_name.startsWith('ratelimited')) expect((error as SendError).retryAfterMs).toBe(7000);
    });
  });
});
