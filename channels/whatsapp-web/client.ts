import { join } from 'node:path';

/** The part of whatsapp-web.js's Client the adapter uses; tests pass a fake with the same events and methods. */
export interface WebClient {
  on(event: 'qr', listener: (qr: string) => void): unknown;
  on(event: 'authenticated' | 'ready', listener: () => void): unknown;
  on(event: 'auth_failure' | 'disconnected', listener: (reason: string) => void): unknown;
  on(event: 'message', listener: (message: WebMessage) => void): unknown;
  on(event: 'message_ack', listener: (message: WebMessage, ack: number) => void): unknown;
  on(event: 'message_reaction', listener: (reaction: WebReaction) => void): unknown;
  on(event: 'message_edit', listener: (message: WebMessage, newBody: string, previousBody: string) => void): unknown;
  on(event: 'message_revoke_everyone', listener: (message: WebMessage, revoked?: WebMessage | null) => void): unknown;
  initialize(): Promise<void>;
  destroy(): Promise<void>;
  sendMessage(chatId: string, content: string | WebMedia, options?: { caption?: string }): Promise<WebMessage>;
}

export interface WebMedia {
  readonly mimetype: string;
  /** Base64. */
  readonly data: string;
  readonly filename?: string | null;
}

/** What the adapter reads of a whatsapp-web.js Message. */
export interface WebMessage {
  readonly id: { readonly _serialized: string };
  readonly from: string;
  readonly author?: string;
  readonly fromMe: boolean;
  readonly isStatus?: boolean;
  readonly body: string;
  readonly type: string;
  readonly timestamp?: number;
  readonly hasMedia: boolean;
  readonly location?: { latitude: number | string; longitude: number | string; description?: string };
  readonly selectedButtonId?: string;
  readonly selectedRowId?: string;
  readonly _data?: { notifyName?: string; quotedStanzaID?: string };
  /** The cards of a contact message (type vcard or multi_vcard). */
  readonly vCards?: readonly string[];
  downloadMedia(): Promise<WebMedia | undefined>;
  getContact(): Promise<{ number?: string; pushname?: string }>;
}

/** whatsapp-web.js's Reaction: `reaction` is the emoji, empty when it was taken back. */
export interface WebReaction {
  readonly id: { readonly _serialized: string; readonly fromMe?: boolean };
  readonly msgId: { readonly _serialized: string };
  readonly senderId: string;
  readonly reaction: string;
  readonly timestamp?: number;
}

export interface ClientSettings {
  readonly dataDir: string;
  readonly chromiumPath: string;
}

/** Options for the real Client: session in the data directory, the system Chromium, never a download. */
export function clientOptions(settings: ClientSettings, LocalAuth: new (options: { dataPath: string; clientId?: string }) => unknown) {
  return {
    authStrategy: new LocalAuth({ dataPath: join(settings.dataDir, 'whatsapp-web') }),
    puppeteer: {
      executablePath: settings.chromiumPath,
      headless: true,
      // Containers and root users: Chromium's sandbox and /dev/shm are the usual blockers.
      args: ['--no-sandbox', '--disable-setuid-sandbox', '--disable-dev-shm-usage'],
    },
  };
}

/** The real whatsapp-web.js Client (loaded on demand: it pulls in puppeteer). Not initialized. */
export async function createRealClient(settings: ClientSettings): Promise<{ client: WebClient; makeMedia: (media: WebMedia) => WebMedia }> {
  const { default: wwebjs } = await import('whatsapp-web.js');
  const client = new wwebjs.Client(clientOptions(settings, wwebjs.LocalAuth as never) as never);
  return {
    client: client as unknown as WebClient,
    makeMedia: (media) => new wwebjs.MessageMedia(media.mimetype, media.data, media.filename ?? null) as WebMedia,
  };
}
