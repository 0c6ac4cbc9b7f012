import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';
import type { ChannelAdapter, ChannelContext, ChannelHealth, SendResult } from '../../src/core/channel.ts';
import { SendError } from '../../src/core/channel.ts';
import type { Attachment, InboundMessage, OutboundMessage } from '../../src/core/message.ts';
import { z } from 'zod';
import { parseEach, type RefusedItem } from '../../src/core/per-item.ts';
import { keepRawBodies, signedWebhookRoute, WebhookBodyError, type WebhookItem, webhookItem } from '../kit/signed-webhook.ts';
import { type GraphApi, graphPath, MediaInfoSchema, SendResponseSchema, UploadResponseSchema } from './graph.ts';
import { type GraphMessage, type MediaRef, templateMessage, toGraphMessages } from './outbound.ts';
import {
  type CloudMessage,
  CloudMessageSchema,
  CloudStatusSchema,
  ContactSchema,
  mediaOf,
  signatureProblem,
  toInbound,
  toStatusUpdate,
  WebhookBodySchema,
} from './webhook.ts';
import { cloudCapabilities } from './capabilities.ts';

export interface CloudApiOptions {
  readonly phoneNumberId: string;
  readonly appSecret: string;
  readonly verifyToken: string;
  /** Sent instead of free-form text outside the 24-hour window; `withText` passes the text as {{1}}. */
  readonly windowTemplate?: { readonly name: string; readonly language: string; readonly withText: boolean };
  readonly now?: () => Date;
}

const WINDOW_MS = 24 * 60 * 60 * 1000;

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': '.jpg',
  'image/png': '.png',
  'image/webp': '.webp',
  'audio/ogg': '.ogg',
  'audio/mpeg': '.mp3',
  'audio/mp4': '.m4a',
  'video/mp4': '.mp4',
  'application/pdf': '.pdf',
};
const extensionOf = (mimeType: string | undefined) => (mimeType ? (EXTENSIONS[mimeType.split(';')[0]?.trim() ?? ''] ?? '') : '');

/** WhatsApp through Meta's Cloud API: signed webhooks in, Graph API out, the 24-hour window kept. */
export class CloudApiAdapter implements ChannelAdapter {
  readonly name = 'whatsapp';
  readonly capabilities = cloudCapabilities;
  #context: ChannelContext | undefined;

  constructor(
    private readonly graph: GraphApi,
    private readonly options: CloudApiOptions,
  ) {}

  async start(context: ChannelContext): Promise<void> {
    this.#context = context;
  }

  async stop(): Promise<void> {
    this.#context = undefined;
  }

  health(): ChannelHealth {
    return { ready: this.#context !== undefined, detail: `Cloud API, phone number id ${this.options.phoneNumberId}` };
  }

  /** Reads the business number (https://developers.facebook.com/docs/whatsapp/cloud-api/reference/phone-numbers): no message is sent. */
  async verify(): Promise<string> {
    const number = await this.graph.getJson(
      `${this.options.phoneNumberId}?fields=display_phone_number,verified_name`,
      z.object({ display_phone_number: z.string(), verified_name: z.string().optional() }),
    );
    return `phone number ${number.display_phone_number}${number.verified_name ? ` (${number.verified_name})` : ''}`;
  }

  #ctx(): ChannelContext {
    if (!this.#context) throw new Error('the whatsapp channel is not started');
    return this.#context;
  }

  readonly webhooks: FastifyPluginAsync = async (app) => {
    // The signature covers the exact bytes Meta sent: keep them.
    keepRawBodies(app, 'application/json');

    app.get('/', async (request, reply) => {
      const query = request.query as Record<string, string | undefined>;
      if (query['hub.mode'] !== 'subscribe' || query['hub.verify_token'] !== this.options.verifyToken) {
        return reply.status(403).send({ error: 'hub.verify_token does not match WHATSAPP_VERIFY_TOKEN (or hub.mode is not subscribe)' });
      }
      return reply.type('text/plain').send(query['hub.challenge'] ?? '');
    });

    // 200 only once every good item is stored: a failure to store answers 5xx and Meta retries
    // (duplicates are dropped); a malformed or refused item is logged and skipped, the answer lists it.
    signedWebhookRoute(app, '/', {
      contentType: 'application/json',
      logger: () => this.#ctx().logger,
      verify: (request) => signatureProblem(request.rawBody, request.headers['x-hub-signature-256'], this.options.appSecret),
      decode: (request) => this.#decode(request.rawBody),
      answer: (reply, outcome) => reply.status(200).send({ status: 'stored', ...(outcome.refused.length ? { refused: outcome.refused } : {}) }),
    });
  };

  /** A Cloud API body as items: each message and status on its own; contacts give the senders' names. */
  #decode(rawBody: Buffer): { items: WebhookItem[]; refused: RefusedItem[] } {
    let json: unknown;
    try {
      json = JSON.parse(rawBody.toString('utf8'));
    } catch {
      throw new WebhookBodyError('the webhook body is not JSON');
    }
    const parsed = WebhookBodySchema.safeParse(json);
    if (!parsed.success) {
      throw new WebhookBodyError(`not a WhatsApp webhook: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    const items: WebhookItem[] = [];
    const refused: RefusedItem[] = [];
    parsed.data.entry.forEach((entry, e) =>
      entry.changes.forEach((change, c) => {
        if (change.field !== 'messages') return;
        const { value } = change;
        if (value.metadata?.phone_number_id && value.metadata.phone_number_id !== this.options.phoneNumberId) {
          this.#ctx().logger.info({ phoneNumberId: value.metadata.phone_number_id }, 'whatsapp: webhook for another number ignored');
          return;
        }
        const at = `entry.${e}.changes.${c}.value`;
        const contacts = parseEach(ContactSchema, value.contacts ?? [], `${at}.contacts`);
        refused.push(...contacts.refused);
        const names = new Map(contacts.valid.map((c) => [c.wa_id, c.profile?.name]));
        (value.messages ?? []).forEach((message, m) =>
          items.push(webhookItem(`${at}.messages.${m}`, CloudMessageSchema, message, (valid) => this.#receive(valid, names.get(valid.from)))),
        );
        (value.statuses ?? []).forEach((status, s) =>
          items.push(
            webhookItem(`${at}.statuses.${s}`, CloudStatusSchema, status, async (valid) => {
              const update = toStatusUpdate(valid);
              if (update) await this.#ctx().reportStatus(update);
            }),
          ),
        );
      }),
    );
    return { items, refused };
  }

  async #receive(message: CloudMessage, displayName: string | undefined): Promise<void> {
    const media = mediaOf(message);
    const attachment = media ? await this.#download(media.kind, media.media) : undefined;
    const inbound: InboundMessage | undefined = toInbound(message, displayName, attachment);
    if (!inbound) {
      this.#ctx().logger.debug({ type: message.type, externalId: message.id }, 'whatsapp: message type not taken in');
      return;
    }
    await this.#ctx().receive(inbound);
  }

  /** Media arrives as an id: its URL comes from the Graph API, the bytes from that URL (same token). */
  async #download(kind: Attachment['kind'], media: { id: string; mime_type?: string; caption?: string; filename?: string }): Promise<Attachment> {
    const info = await this.graph.getJson(graphPath(media.id), MediaInfoSchema);
    const bytes = await this.graph.download(info.url);
    const directory = join(this.#ctx().dataDir, 'attachments', 'whatsapp');
    await mkdir(directory, { recursive: true });
    const mimeType = info.mime_type ?? media.mime_type;
    const path = resolve(directory, `${media.id.replace(/[^\w.-]/g, '_')}${extensionOf(mimeType)}`);
    await writeFile(path, bytes);
    return {
      kind,
      url: pathToFileURL(path).href,
      mimeType,
      size: bytes.length,
      ...(media.filename ? { fileName: media.filename } : {}),
      ...(media.caption ? { caption: media.caption } : {}),
    };
  }

  async send(message: OutboundMessage): Promise<SendResult> {
    const { content } = message;
    let messages: GraphMessage[];
    if (content.template) {
      messages = [templateMessage(content.template)];
    } else if (await this.#windowOpen(message.recipient)) {
      messages = await toGraphMessages(content, (a) => this.#media(a));
    } else {
      messages = [this.#windowTemplate(message, await this.#ctx().lastInboundAt(message.recipient))];
    }
    let externalId: string | undefined;
    for (const body of messages) {
      const sent = await this.graph.postJson(
        `${graphPath(this.options.phoneNumberId)}/messages`,
        { messaging_product: 'whatsapp', recipient_type: 'individual', to: message.recipient.replace(/^\+/, ''), ...body },
        SendResponseSchema,
        message.signal,
      );
      externalId = sent.messages[0]?.id;
    }
    // Statuses are tracked on the last message: delivered means everything before it was sent.
    return { externalId };
  }

  async #windowOpen(recipient: string): Promise<boolean> {
    const last = await this.#ctx().lastInboundAt(recipient);
    const now = this.options.now?.() ?? new Date();
    return last !== undefined && now.getTime() - last.getTime() < WINDOW_MS;
  }

  #windowTemplate(message: OutboundMessage, last: Date | undefined): GraphMessage {
    const template = this.options.windowTemplate;
    if (!template) {
      throw new SendError(
        `outside WhatsApp's 24-hour window: the customer last wrote ${last ? last.toISOString() : 'never'}; only an approved template can be sent (set WHATSAPP_TEMPLATE_NAME)`,
        { retryable: false },
      );
    }
    const text = message.content.text;
    return templateMessage({ name: template.name, language: template.language, params: template.withText && text ? [text] : [] });
  }

  async #media(attachment: Attachment): Promise<MediaRef> {
    if (!attachment.url) throw new SendError(`attachment ${attachment.fileName ?? attachment.kind} has no URL`, { retryable: false });
    if (/^https?:\/\//.test(attachment.url)) return { link: attachment.url };
    if (!attachment.url.startsWith('file:')) throw new SendError(`attachment URL ${attachment.url} is neither http(s) nor file:`, { retryable: false });
    const path = fileURLToPath(attachment.url);
    const bytes = await readFile(path).catch((error: unknown) => {
      throw new SendError(`attachment ${path} cannot be read: ${(error as Error).message}`, { retryable: false });
    });
    const type = attachment.mimeType ?? 'application/octet-stream';
    const form = new FormData();
    form.set('messaging_product', 'whatsapp');
    form.set('type', type);
    form.set('file', new Blob([bytes], { type }), attachment.fileName ?? basename(path));
    const uploaded = await this.graph.postForm(`${graphPath(this.options.phoneNumberId)}/media`, form, UploadResponseSchema);
    return { id: uploaded.id };
  }
}
