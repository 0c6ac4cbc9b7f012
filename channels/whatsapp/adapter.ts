import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';
import type { ChannelAdapter, ChannelContext, ChannelHealth, SendResult } from '../../src/core/channel.ts';
import { SendError, serviceWindowOpen } from '../../src/core/channel.ts';
import type { Attachment, OutboundMessage } from '../../src/core/message.ts';
import { z } from 'zod';
import { parseEach, type RefusedItem } from '../../src/core/per-item.ts';
import { keepRawBodies, signedWebhookRoute, WebhookBodyError, type WebhookItem, webhookItem } from '../kit/signed-webhook.ts';
import { type GraphApi, graphPath, MediaInfoSchema, SendResponseSchema, UploadResponseSchema } from './graph.ts';
import { addressee, type GraphMessage, type MediaRef, templateMessage, toGraphMessages } from './outbound.ts';
import {
  type CloudMessage,
  CloudMessageSchema,
  CloudStatusSchema,
  ContactSchema,
  contactKeyOf,
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
  /**
   * Sent outside the 24-hour window when the templates file (PARLEY_TEMPLATES_FILE) has none for
   * the message's purpose (WHATSAPP_TEMPLATE_NAME); `withText` passes the text as {{1}}.
   */
  readonly windowTemplate?: { readonly name: string; readonly language: string; readonly withText: boolean };
  readonly now?: () => Date;
}

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
const MIME_OF_EXTENSION = new Map(Object.entries(EXTENSIONS).map(([mime, extension]) => [extension, mime]));
const extensionOf = (mimeType: string | undefined) => (mimeType ? (EXTENSIONS[mimeType.split(';')[0]?.trim() ?? ''] ?? '') : '');

const MediaPartSchema = z.object({ id: z.string().min(1), mime_type: z.string().optional(), caption: z.string().optional(), filename: z.string().optional() });
type MediaPart = z.infer<typeof MediaPartSchema>;
/** The payload of a media retry job (read back from the database). */
const MediaRetrySchema = z.object({ externalId: z.string().min(1), media: MediaPartSchema });
type MediaRetry = z.infer<typeof MediaRetrySchema>;
/** First retry of a failed media download; the job runner backs off from there. */
const MEDIA_RETRY_DELAY_MS = 60_000;

/** A media file a previous delivery of the same webhook already downloaded (media ids are unique). */
async function storedMedia(directory: string, stem: string, mimeType: string | undefined): Promise<Pick<Attachment, 'url' | 'mimeType' | 'size'> | undefined> {
  const name = (await readdir(directory).catch(() => [] as string[])).find(
    (f) => f.startsWith(stem) && f.slice(stem.length) === extname(f) && f !== `${stem}.partial`,
  );
  if (!name) return undefined;
  const path = resolve(directory, name);
  return { url: pathToFileURL(path).href, mimeType: mimeType ?? MIME_OF_EXTENSION.get(extname(name)), size: (await stat(path)).size };
}

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
        const names = new Map(contacts.valid.flatMap((c) => [c.wa_id, c.user_id].filter((id) => id !== undefined).map((id) => [id, c.profile?.name])));
        (value.messages ?? []).forEach((message, m) =>
          items.push(
            webhookItem(`${at}.messages.${m}`, CloudMessageSchema, message, (valid) => {
              const key = contactKeyOf(valid);
              return this.#receive(valid, key ? names.get(key) : undefined);
            }),
          ),
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
    const attachment = media ? await this.#attachment(media.kind, media.media) : undefined;
    const decoded = toInbound(message, displayName, attachment);
    if ('ignored' in decoded) {
      this.#ctx().logger.debug({ type: message.type, externalId: message.id, reason: decoded.ignored }, 'whatsapp: message ignored');
      return;
    }
    await this.#ctx().receive(decoded.inbound);
    if (media && attachment?.failed) {
      // Stored first: the job finds the message to complete.
      const retry: MediaRetry = { externalId: message.id, media: media.media };
      await this.#ctx().retryLater({ key: `media:${media.media.id}`, payload: retry, delayMs: MEDIA_RETRY_DELAY_MS });
    }
  }

  /** A media download that failed, tried again by a job; throwing leaves it for the next attempt. */
  async retry(payload: unknown): Promise<void> {
    const { externalId, media } = MediaRetrySchema.parse(payload);
    const downloaded = await this.#download(media);
    const found = await this.#ctx().updateAttachments(externalId, (attachments) =>
      attachments.map(({ failed, ...attachment }) =>
        failed ? { ...attachment, ...downloaded, mimeType: downloaded.mimeType ?? attachment.mimeType } : { ...attachment },
      ),
    );
    if (!found) throw new Error(`whatsapp message ${externalId} is not stored; its media ${media.id} is kept for the next attempt`);
    this.#ctx().logger.info({ externalId, mediaId: media.id }, 'whatsapp: media downloaded on retry');
  }

  /**
   * The media as an attachment: downloaded once (a retried webhook finds the file already
   * there), or, when the Graph API refuses or fails, kept with the caption and marked failed
   * with the reason, so the message is stored rather than answered 500 for days.
   */
  async #attachment(kind: Attachment['kind'], media: MediaPart): Promise<Attachment> {
    const described = {
      kind,
      mimeType: media.mime_type,
      ...(media.filename ? { fileName: media.filename } : {}),
      ...(media.caption ? { caption: media.caption } : {}),
    };
    try {
      return { ...described, ...(await this.#download(media)) };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.#ctx().logger.warn({ mediaId: media.id, reason }, 'whatsapp: media download failed; message kept with the attachment marked failed');
      return { ...described, failed: { reason, at: (this.options.now?.() ?? new Date()).toISOString() } };
    }
  }

  /** Media arrives as an id: its URL comes from the Graph API, the bytes from that URL (same token). */
  async #download(media: MediaPart): Promise<Pick<Attachment, 'url' | 'mimeType' | 'size'>> {
    const directory = join(this.#ctx().dataDir, 'attachments', 'whatsapp');
    const stem = media.id.replace(/[^\w.-]/g, '_');
    const known = await storedMedia(directory, stem, media.mime_type);
    if (known) return known;
    const info = await this.graph.getJson(graphPath(media.id), MediaInfoSchema);
    const bytes = await this.graph.download(info.url);
    await mkdir(directory, { recursive: true });
    const mimeType = info.mime_type ?? media.mime_type;
    const path = resolve(directory, `${stem}${extensionOf(mimeType)}`);
    // Written under a temporary name first: a file under the final name is always complete.
    await writeFile(`${path}.partial`, bytes);
    await rename(`${path}.partial`, path);
    return { url: pathToFileURL(path).href, mimeType, size: bytes.length };
  }

  async send(message: OutboundMessage): Promise<SendResult> {
    const { content } = message;
    let messages: GraphMessage[];
    if (content.template) {
      messages = [templateMessage(content.template)];
    } else if (await this.#windowOpen(message.recipient)) {
      messages = await toGraphMessages(content, (a) => this.#media(a));
    } else {
      messages = [await this.#windowTemplate(message, await this.#ctx().lastInboundAt(message.recipient))];
    }
    let externalId: string | undefined;
    for (const body of messages) {
      const sent = await this.graph.postJson(
        `${graphPath(this.options.phoneNumberId)}/messages`,
        { messaging_product: 'whatsapp', recipient_type: 'individual', ...addressee(message.recipient), ...body },
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
    return serviceWindowOpen(this.capabilities, last, this.options.now?.() ?? new Date());
  }

  /** Outside the window: the templates file's template for the message's purpose and language, else the default template. */
  async #windowTemplate(message: OutboundMessage, last: Date | undefined): Promise<GraphMessage> {
    const outside = `outside WhatsApp's 24-hour window: the customer last wrote ${last ? last.toISOString() : 'never'}`;
    const found = await this.#ctx().windowTemplate(message);
    if (found?.ok) return templateMessage(found.template);
    if (found?.reason === 'template_invalid') throw new SendError(`${outside}; ${found.detail}`, { retryable: false });
    const template = this.options.windowTemplate;
    if (!template) {
      const missing = found ? `${found.detail} in PARLEY_TEMPLATES_FILE` : 'no templates file (PARLEY_TEMPLATES_FILE)';
      throw new SendError(`${outside}; only an approved template can be sent and there is none: ${missing}, and WHATSAPP_TEMPLATE_NAME is not set`, {
        retryable: false,
      });
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
