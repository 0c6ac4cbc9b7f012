import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';
import QRCode from 'qrcode';
import type { ChannelAdapter, ChannelContext, ChannelHealth, SendResult } from '../../src/core/channel.ts';
import { SendError } from '../../src/core/channel.ts';
import type { Attachment, DeliveryStatusUpdate, OutboundMessage } from '../../src/core/message.ts';
import { renderAsText } from '../../src/core/render.ts';
import type { WebClient, WebMedia, WebMessage, WebReaction } from './client.ts';
import { webCapabilities } from './capabilities.ts';
import { vCardsText } from './vcard.ts';

export interface WebOptions {
  /** Builds a fresh, uninitialized client (after a disconnect the old one is destroyed). */
  readonly createClient: (dataDir: string) => Promise<{ client: WebClient; makeMedia: (media: WebMedia) => WebMedia }>;
  readonly apiToken: string | undefined;
  readonly groups: boolean;
  readonly statusBroadcasts: boolean;
  /** Delays before reconnect attempts; the last repeats. */
  readonly reconnectDelaysMs: readonly number[];
  /** Where the pairing QR is drawn (the terminal). */
  readonly printQr: (text: string) => void;
}

const ACKS: Record<number, DeliveryStatusUpdate['status'] | undefined> = { [-1]: 'failed', 1: 'sent', 2: 'delivered', 3: 'read', 4: 'read' };
const KINDS: Record<string, Attachment['kind']> = { image: 'image', video: 'video', audio: 'audio', ptt: 'audio', document: 'document', sticker: 'sticker' };
const EXTENSIONS: Record<string, string> = {
  'image/jpeg': '.jpg',
  'image/png': '.png',
  'image/webp': '.webp',
  'audio/ogg': '.ogg',
  'video/mp4': '.mp4',
  'application/pdf': '.pdf',
};

/** An emoji as its code points, for an id that tells one reaction from the next. */
const codePoints = (emoji: string) => Array.from(emoji, (c) => c.codePointAt(0)?.toString(16)).join('-');

type State = 'starting' | 'waiting for QR scan' | 'authenticated' | 'ready' | 'auth failure' | 'disconnected' | 'logged out' | 'stopped';

/** WhatsApp through a linked phone (whatsapp-web.js driving the system Chromium). */
export class WhatsAppWebAdapter implements ChannelAdapter {
  readonly name = 'whatsapp-web';
  readonly capabilities = webCapabilities;
  #context: ChannelContext | undefined;
  #client: WebClient | undefined;
  #makeMedia: ((media: WebMedia) => WebMedia) | undefined;
  #state: State = 'stopped';
  #detail = '';
  #qr: string | undefined;
  #reconnects = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopping = false;

  constructor(private readonly options: WebOptions) {}

  async start(context: ChannelContext): Promise<void> {
    this.#context = context;
    this.#stopping = false;
    await this.#connect();
  }

  /** Closes the browser; a pending reconnect is cancelled. */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    const client = this.#client;
    this.#client = undefined;
    this.#setState('stopped');
    await client?.destroy();
  }

  health(): ChannelHealth {
    return { ready: this.#state === 'ready', detail: `WhatsApp Web: ${this.#state}${this.#detail ? ` (${this.#detail})` : ''}` };
  }

  get state(): State {
    return this.#state;
  }

  #ctx(): ChannelContext {
    if (!this.#context) throw new Error('the whatsapp-web channel is not started');
    return this.#context;
  }

  #setState(state: State, detail = ''): void {
    this.#state = state;
    this.#detail = detail;
    if (this.#context) this.#context.logger.info({ state, detail: detail || undefined }, 'whatsapp-web: state');
  }

  async #connect(): Promise<void> {
    const { client, makeMedia } = await this.options.createClient(this.#ctx().dataDir);
    this.#client = client;
    this.#makeMedia = makeMedia;
    this.#setState('starting');
    client.on('qr', (qr) => void this.#showQr(qr));
    client.on('authenticated', () => {
      this.#qr = undefined;
      this.#setState('authenticated');
    });
    client.on('auth_failure', (reason) => this.#setState('auth failure', reason));
    client.on('ready', () => {
      this.#qr = undefined;
      this.#reconnects = 0;
      this.#setState('ready');
    });
    client.on('disconnected', (reason) => void this.#disconnected(client, reason));
    client.on(
      'message',
      (message) => void this.#receive(message).catch((error: unknown) => this.#ctx().logger.error({ err: error }, 'whatsapp-web: message not stored')),
    );
    client.on('message_ack', (message, ack) => void this.#ack(message, ack));
    const failed = (what: string) => (error: unknown) => this.#ctx().logger.error({ err: error }, `whatsapp-web: ${what} not stored`);
    client.on('message_reaction', (reaction) => void this.#reaction(reaction).catch(failed('reaction')));
    client.on('message_edit', (message, newBody) => void this.#edit(message, newBody).catch(failed('edit')));
    client.on('message_revoke_everyone', (message) => void this.#revoke(message).catch(failed('deletion')));
    // initialize() resolves once the page is up, not when paired; a failure is retried like a disconnect.
    client.initialize().catch((error: unknown) => void this.#disconnected(client, `could not start: ${(error as Error).message}`));
  }

  async #showQr(qr: string): Promise<void> {
    this.#qr = qr;
    this.#setState(
      'waiting for QR scan',
      this.options.apiToken ? 'scan the code in the terminal or at /webhooks/whatsapp-web/qr.png' : 'scan the code in the terminal',
    );
    this.options.printQr(await QRCode.toString(qr, { type: 'terminal', small: true }));
  }

  async #disconnected(client: WebClient, reason: string): Promise<void> {
    if (client !== this.#client || this.#stopping) return;
    // LOGOUT: the phone unlinked this device; the new client shows a fresh QR to pair again.
    this.#setState(reason === 'LOGOUT' ? 'logged out' : 'disconnected', reason);
    this.#client = undefined;
    await client.destroy().catch(() => {});
    const delays = this.options.reconnectDelaysMs;
    const delay = delays[Math.min(this.#reconnects++, delays.length - 1)] ?? 5000;
    this.#timer = setTimeout(() => {
      if (!this.#stopping) void this.#connect().catch((error: unknown) => this.#ctx().logger.error({ err: error }, 'whatsapp-web: reconnect failed'));
    }, delay);
  }

  /** Groups and status broadcasts are ignored unless configured; own messages always. */
  #ignored(message: WebMessage): boolean {
    if (message.fromMe) return true;
    if (message.isStatus || message.from === 'status@broadcast') return !this.options.statusBroadcasts;
    if (message.from.endsWith('@g.us')) return !this.options.groups;
    return message.from.endsWith('@broadcast') || message.from.endsWith('@newsletter');
  }

  /** The sender's phone number; newer accounts write from a privacy id (@lid), whose contact carries it. */
  async #senderNumber(message: WebMessage): Promise<string> {
    const senderId = message.from.endsWith('@g.us') && message.author ? message.author : message.from;
    const number = senderId.endsWith('@lid') ? (await message.getContact()).number : senderId.replace(/@.*$/, '');
    if (!number) throw new Error(`no phone number for ${senderId}`);
    return `+${number.replace(/^\+/, '')}`;
  }

  /** A reaction on a message (the customer's or ours): stored linked to it; a taken-back one says so. */
  async #reaction(reaction: WebReaction): Promise<void> {
    if (reaction.id.fromMe || !reaction.senderId.endsWith('@c.us')) {
      this.#ctx().logger.debug({ sender: reaction.senderId }, 'whatsapp-web: reaction ignored (our own, a group or a privacy id)');
      return;
    }
    await this.#ctx().receive({
      externalId: `${reaction.id._serialized}:${reaction.reaction ? codePoints(reaction.reaction) : 'removed'}`,
      sender: { address: `+${reaction.senderId.replace(/@.*$/, '')}`, addressKind: 'phone' },
      sentAt: reaction.timestamp ? new Date(reaction.timestamp * 1000).toISOString() : undefined,
      amends: { kind: 'reaction', target: reaction.msgId._serialized, emoji: reaction.reaction || undefined },
      metadata: { type: 'reaction' },
      raw: { id: reaction.id._serialized, msgId: reaction.msgId._serialized, senderId: reaction.senderId, reaction: reaction.reaction },
    });
  }

  /** An edit of a customer's message: a new event (its own id) that changes the stored one. */
  async #edit(message: WebMessage, newBody: string): Promise<void> {
    if (this.#ignored(message)) return;
    await this.#ctx().receive({
      externalId: `${message.id._serialized}:edit:${createHash('sha256').update(newBody).digest('hex').slice(0, 16)}`,
      sender: { address: await this.#senderNumber(message), addressKind: 'phone', displayName: message._data?.notifyName },
      amends: { kind: 'edit', target: message.id._serialized, text: newBody },
      metadata: { type: 'edit' },
      raw: { id: message.id._serialized, from: message.from, type: 'edit', body: newBody },
    });
  }

  /** A customer deleted a message for everyone: the stored one is blanked. */
  async #revoke(message: WebMessage): Promise<void> {
    if (this.#ignored(message)) return;
    await this.#ctx().receive({
      externalId: `${message.id._serialized}:revoke`,
      sender: { address: await this.#senderNumber(message), addressKind: 'phone', displayName: message._data?.notifyName },
      amends: { kind: 'revoke', target: message.id._serialized },
      metadata: { type: 'revoke' },
      raw: { id: message.id._serialized, from: message.from, type: 'revoke' },
    });
  }

  async #receive(message: WebMessage): Promise<void> {
    if (this.#ignored(message)) return;
    const address = await this.#senderNumber(message);
    const attachment = message.hasMedia ? await this.#download(message) : undefined;
    const location = message.location
      ? { latitude: Number(message.location.latitude), longitude: Number(message.location.longitude), name: message.location.description }
      : undefined;
    const reply = message.selectedButtonId ?? message.selectedRowId;
    const cards = message.vCards?.length ? message.vCards : undefined;
    const text = cards ? vCardsText(cards) : message.body || undefined;
    await this.#ctx().receive({
      externalId: message.id._serialized,
      sender: { address, addressKind: 'phone', displayName: message._data?.notifyName },
      sentAt: message.timestamp ? new Date(message.timestamp * 1000).toISOString() : undefined,
      text: location ? undefined : text,
      attachments: attachment ? [attachment] : [],
      interactiveReply: reply ? { id: reply, title: text } : undefined,
      location,
      replyTo: message._data?.quotedStanzaID,
      metadata: { type: message.type, ...(message.from.endsWith('@g.us') ? { group: message.from } : {}), ...(cards ? { vcards: cards } : {}) },
      raw: { id: message.id._serialized, from: message.from, type: message.type, timestamp: message.timestamp },
    });
  }

  async #download(message: WebMessage): Promise<Attachment | undefined> {
    const media = await message.downloadMedia();
    if (!media) return undefined;
    const directory = join(this.#ctx().dataDir, 'attachments', 'whatsapp-web');
    await mkdir(directory, { recursive: true });
    const bytes = Buffer.from(media.data, 'base64');
    const path = resolve(directory, `${message.id._serialized.replace(/[^\w.-]/g, '_')}${EXTENSIONS[media.mimetype.split(';')[0] ?? ''] ?? ''}`);
    await writeFile(path, bytes);
    return {
      kind: KINDS[message.type] ?? 'other',
      url: pathToFileURL(path).href,
      mimeType: media.mimetype,
      size: bytes.length,
      ...(media.filename ? { fileName: media.filename } : {}),
      ...(message.body ? { caption: message.body } : {}),
    };
  }

  async #ack(message: WebMessage, ack: number): Promise<void> {
    const status = ACKS[ack];
    if (!status || !message.fromMe) return;
    await this.#ctx()
      .reportStatus({
        externalId: message.id._serialized,
        status,
        reason: status === 'failed' ? 'WhatsApp reported an error sending this message' : undefined,
      })
      .catch((error: unknown) => this.#ctx().logger.error({ err: error }, 'whatsapp-web: status not stored'));
  }

  async send(message: OutboundMessage): Promise<SendResult> {
    const client = this.#client;
    if (!client || this.#state !== 'ready')
      throw new SendError(`WhatsApp Web is not connected (${this.#state}${this.#detail ? `: ${this.#detail}` : ''})`, { retryable: true });
    const chatId = `${message.recipient.replace(/^\+/, '')}@c.us`;
    const text = renderAsText({ ...message.content, attachments: [] });
    const media = await Promise.all(message.content.attachments.map((a) => this.#media(a)));
    let sent: WebMessage | undefined;
    try {
      if (media.length === 0) sent = await client.sendMessage(chatId, text);
      for (const [index, item] of media.entries()) sent = await client.sendMessage(chatId, item, index === 0 && text ? { caption: text } : undefined);
    } catch (error) {
      throw new SendError(`WhatsApp Web could not send: ${(error as Error).message}`, { retryable: true, cause: error });
    }
    return { externalId: sent?.id._serialized };
  }

  async #media(attachment: Attachment): Promise<WebMedia> {
    if (!attachment.url) throw new SendError(`attachment ${attachment.fileName ?? attachment.kind} has no URL`, { retryable: false });
    let bytes: Buffer;
    let mimetype = attachment.mimeType;
    if (attachment.url.startsWith('file:')) {
      bytes = await readFile(fileURLToPath(attachment.url)).catch((error: unknown) => {
        throw new SendError(`attachment ${attachment.url} cannot be read: ${(error as Error).message}`, { retryable: false });
      });
    } else {
      const response = await fetch(attachment.url).catch((error: unknown) => {
        throw new SendError(`attachment ${attachment.url} could not be fetched: ${(error as Error).message}`, { retryable: true });
      });
      if (!response.ok) throw new SendError(`attachment ${attachment.url} answered HTTP ${response.status}`, { retryable: response.status >= 500 });
      bytes = Buffer.from(await response.arrayBuffer());
      mimetype ??= response.headers.get('content-type') ?? undefined;
    }
    const media = {
      mimetype: mimetype ?? 'application/octet-stream',
      data: bytes.toString('base64'),
      filename: attachment.fileName ?? basename(attachment.url),
    };
    return this.#makeMedia ? this.#makeMedia(media) : media;
  }

  /** GET /qr.png: the pairing code as an image, behind the API token. */
  readonly webhooks: FastifyPluginAsync = async (app) => {
    app.get('/qr.png', async (request, reply) => {
      if (!this.options.apiToken)
        return reply.status(503).send({ error: 'set PARLEY_API_TOKEN to see the pairing QR code over HTTP (it is also printed in the terminal)' });
      if (request.headers.authorization !== `Bearer ${this.options.apiToken}`) {
        return reply.status(401).send({ error: 'send the API token as "Authorization: Bearer <PARLEY_API_TOKEN>"' });
      }
      if (!this.#qr) return reply.status(404).send({ error: `no pairing code to show: WhatsApp Web is ${this.#state}` });
      return reply
        .type('image/png')
        .header('cache-control', 'no-store')
        .send(await QRCode.toBuffer(this.#qr, { type: 'png', margin: 2, width: 320 }));
    });
  };
}
