import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

/** One Web API call the fake answered, with its parsed arguments. */
export interface SlackCall {
  readonly method: string;
  readonly args: Record<string, unknown>;
  readonly at: number;
  readonly status: number;
}

export interface PostedMessage {
  readonly channel: string;
  readonly ts: string;
  readonly text: string;
  readonly thread_ts?: string;
  readonly blocks?: unknown[];
  /** Message metadata (https://docs.slack.dev/messaging/message-metadata), as posted. */
  readonly metadata?: unknown;
  updates: { text: string; blocks?: unknown[] }[];
}

export interface FakeSlackOptions {
  readonly token: string;
  /** Channel id to member user ids; posting elsewhere is channel_not_found. */
  readonly channels: Record<string, string[]>;
  readonly users: Record<string, { name: string; email?: string }>;
  /** Posts to one channel closer together than this are answered 429 and counted as violations. */
  readonly minSpacingMs?: number;
  /** The app-level token Socket Mode's apps.connections.open must carry. */
  readonly appToken?: string;
}

const REQUIRED: Record<string, string[]> = {
  'chat.postMessage': ['channel'],
  'chat.update': ['channel', 'ts'],
  'chat.postEphemeral': ['channel', 'user', 'text'],
  'chat.getPermalink': ['channel', 'message_ts'],
  'reactions.add': ['channel', 'timestamp', 'name'],
  'users.info': ['user'],
  'conversations.members': ['channel'],
  'conversations.replies': ['channel', 'ts'],
  'files.getUploadURLExternal': ['filename', 'length'],
  'files.completeUploadExternal': ['files'],
  'files.info': ['file'],
};

/**
 * A Slack Web API on 127.0.0.1 that answers like Slack for the methods Parley uses, checks
 * the bot token and required fields, records every call, and can answer 429 with Retry-After.
 */
export class FakeSlack {
  readonly calls: SlackCall[] = [];
  readonly messages: PostedMessage[] = [];
  readonly reactions: { channel: string; timestamp: string; name: string }[] = [];
  readonly ephemerals: { channel: string; user: string; text: string; blocks?: unknown[] }[] = [];
  readonly uploads: { channel_id?: string; thread_ts?: string; filename: string; bytes: Buffer }[] = [];
  /** Files agents "uploaded" in Slack, served at /files/<id> to the bot token. */
  readonly files = new Map<string, { name: string; mimetype: string; bytes: Buffer }>();
  /** Posts that came too soon after the previous one to the same channel. */
  violations = 0;
  rateLimited = 0;
  #server: Server | undefined;
  #seq = 0;
  #queued429: { method: string; retryAfter: number }[] = [];
  #lastPost = new Map<string, number>();
  #held = new Map<string, { release: Promise<'answer' | 'drop'> }>();
  #pendingUploads = new Map<string, { filename: string; bytes?: Buffer }>();
  #sockets = new WebSocketServer({ noServer: true });
  #socket: WebSocket | undefined;
  #acks = new Map<string, () => void>();

  constructor(readonly options: FakeSlackOptions) {}

  get url(): string {
    return `http://127.0.0.1:${(this.#server?.address() as AddressInfo).port}`;
  }

  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  async start(): Promise<this> {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    this.#server.on('upgrade', (req, socket, head) => {
      this.#sockets.handleUpgrade(req, socket, head, (ws) => {
        this.#socket = ws;
        ws.on('message', (data) => {
          const { envelope_id: id } = JSON.parse(String(data)) as { envelope_id?: string };
          if (id) this.#acks.get(id)?.();
        });
        ws.send(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'fake' }, connection_info: { app_id: 'A1' } }));
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    for (const ws of this.#sockets.clients) ws.terminate();
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }

  /** The next call of `method` is answered 429 with this Retry-After (seconds). */
  rateLimitNext(method: string, retryAfter = 1): void {
    this.#queued429.push({ method, retryAfter });
  }

  /**
   * The next call of `method` takes effect (a post is in the channel for everyone to see) but
   * its answer waits for `release`: 'answer' sends it, 'drop' closes the connection unanswered,
   * as when the network fails after Slack accepted the call.
   */
  hold(method: string): (how: 'answer' | 'drop') => void {
    let release: (how: 'answer' | 'drop') => void = () => {};
    this.#held.set(method, { release: new Promise((resolve) => (release = resolve)) });
    return (how) => release(how);
  }

  /** Socket Mode: sends an Events API envelope over the app's WebSocket; resolves when the app acks it. */
  async sendSocketEvent(event: Record<string, unknown>): Promise<void> {
    for (let i = 0; i < 400 && !this.#socket; i++) await new Promise((r) => setTimeout(r, 25));
    if (!this.#socket) throw new Error('no Socket Mode connection');
    const envelopeId = `env-${++this.#seq}`;
    const acked = new Promise<void>((resolve) => this.#acks.set(envelopeId, resolve));
    const payload = {
      token: 'legacy',
      team_id: 'T1',
      api_app_id: 'A1',
      type: 'event_callback',
      event_id: `EvS${this.#seq}`,
      event_time: Math.floor(Date.now() / 1000),
      event,
    };
    this.#socket.send(
      JSON.stringify({ envelope_id: envelopeId, type: 'events_api', accepts_response_payload: false, retry_attempt: 0, retry_reason: '', payload }),
    );
    await acked;
  }

  threadOf(channel: string, threadTs: string): PostedMessage[] {
    return this.messages.filter((m) => m.channel === channel && m.thread_ts === threadTs);
  }

  topLevel(channel: string): PostedMessage[] {
    return this.messages.filter((m) => m.channel === channel && !m.thread_ts);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', this.url);
    const reply = (status: number, json: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(json));
    };
    if (url.pathname.startsWith('/upload/')) {
      const pending = this.#pendingUploads.get(url.pathname.slice(8));
      if (!pending) return reply(404, { ok: false });
      pending.bytes = fileFromMultipart(req.headers['content-type'] ?? '', body);
      res.writeHead(200).end('OK - ok');
      return;
    }
    if (url.pathname.startsWith('/files/')) {
      if (req.headers.authorization !== `Bearer ${this.options.token}`) return reply(403, { ok: false });
      const file = this.files.get(url.pathname.slice(7));
      if (!file) return reply(404, { ok: false });
      res.writeHead(200, { 'content-type': file.mimetype }).end(file.bytes);
      return;
    }
    const method = url.pathname.replace(/^\/api\//, '');
    const args = this.#parse(req.headers['content-type'] ?? '', body);
    const record = (status: number) => this.calls.push({ method, args, at: Date.now(), status });
    if (method === 'apps.connections.open') {
      record(200);
      if (!this.options.appToken || req.headers.authorization !== `Bearer ${this.options.appToken}`) return reply(200, { ok: false, error: 'invalid_auth' });
      return reply(200, { ok: true, url: `${this.url.replace('http', 'ws')}/socket` });
    }
    if (req.headers.authorization !== `Bearer ${this.options.token}`) {
      record(200);
      return reply(200, { ok: false, error: req.headers.authorization ? 'invalid_auth' : 'not_authed' });
    }
    const queued = this.#queued429.findIndex((q) => q.method === method);
    if (queued >= 0) {
      const [q] = this.#queued429.splice(queued, 1);
      this.rateLimited++;
      record(429);
      return reply(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(q?.retryAfter ?? 1) });
    }
    const missing = (REQUIRED[method] ?? []).filter((f) => args[f] === undefined || args[f] === '');
    if (missing.length > 0) {
      record(200);
      return reply(200, { ok: false, error: 'invalid_arguments', response_metadata: { messages: missing.map((m) => `[ERROR] missing required field: ${m}`) } });
    }
    record(200);
    const answer = this.#answer(method, args);
    const held = this.#held.get(method);
    if (held) {
      this.#held.delete(method);
      if ((await held.release) === 'drop') return void res.destroy();
    }
    reply(200, answer);
  }

  #parse(contentType: string, body: Buffer): Record<string, unknown> {
    if (contentType.includes('application/json')) return JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    const args: Record<string, unknown> = {};
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) {
      args[k] = /^[[{]/.test(v) ? JSON.parse(v) : v;
    }
    return args;
  }

  #ts(): string {
    this.#seq++;
    return `1800000000.${String(this.#seq).padStart(6, '0')}`;
  }

  #answer(method: string, args: Record<string, unknown>): Record<string, unknown> {
    const channel = args.channel as string | undefined;
    const knownChannel = (c: string | undefined) => c !== undefined && c in this.options.channels;
    switch (method) {
      case 'auth.test':
        return { ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T1', team: 'Test', user: 'parley', url: 'https://test.slack.com/' };
      case 'chat.postMessage': {
        if (!knownChannel(channel)) return { ok: false, error: 'channel_not_found' };
        if (typeof args.text !== 'string' && !args.blocks) return { ok: false, error: 'no_text' };
        const now = Date.now();
        const last = this.#lastPost.get(channel as string);
        if (this.options.minSpacingMs !== undefined && last !== undefined && now - last < this.options.minSpacingMs) this.violations++;
        this.#lastPost.set(channel as string, now);
        const ts = this.#ts();
        this.messages.push({
          channel: channel as string,
          ts,
          text: String(args.text ?? ''),
          thread_ts: args.thread_ts as string | undefined,
          blocks: args.blocks as unknown[] | undefined,
          metadata: args.metadata,
          updates: [],
        });
        return { ok: true, channel, ts, message: { text: args.text, ts } };
      }
      case 'chat.update': {
        const message = this.messages.find((m) => m.channel === channel && m.ts === args.ts);
        if (!message) return { ok: false, error: 'message_not_found' };
        message.updates.push({ text: String(args.text ?? ''), blocks: args.blocks as unknown[] | undefined });
        return { ok: true, channel, ts: args.ts };
      }
      case 'chat.postEphemeral':
        this.ephemerals.push({
          channel: channel as string,
          user: args.user as string,
          text: args.text as string,
          blocks: args.blocks as unknown[] | undefined,
        });
        return { ok: true, message_ts: this.#ts() };
      case 'chat.getPermalink':
        return { ok: true, channel, permalink: `https://test.slack.com/archives/${channel}/p${String(args.message_ts).replace('.', '')}` };
      case 'reactions.add': {
        const exists = this.reactions.some((r) => r.channel === channel && r.timestamp === args.timestamp && r.name === args.name);
        if (exists) return { ok: false, error: 'already_reacted' };
        this.reactions.push({ channel: channel as string, timestamp: args.timestamp as string, name: args.name as string });
        return { ok: true };
      }
      case 'users.info': {
        const user = this.options.users[args.user as string];
        if (!user) return { ok: false, error: 'user_not_found' };
        return {
          ok: true,
          user: { id: args.user, name: user.name.toLowerCase(), real_name: user.name, profile: { email: user.email, display_name: user.name } },
        };
      }
      case 'conversations.members':
        if (!knownChannel(channel)) return { ok: false, error: 'channel_not_found' };
        return { ok: true, members: this.options.channels[channel as string], response_metadata: { next_cursor: '' } };
      // A thread, its parent first; metadata only when asked for (as the documented example:
      // https://docs.slack.dev/reference/methods/conversations.replies).
      case 'conversations.replies': {
        const parent = this.messages.find((m) => m.channel === channel && m.ts === args.ts);
        if (!parent) return { ok: false, error: 'thread_not_found' };
        const withMetadata = args.include_all_metadata === true || args.include_all_metadata === 'true';
        const thread = [parent, ...this.threadOf(channel as string, parent.ts)].slice(0, Number(args.limit ?? 1000));
        return {
          ok: true,
          messages: thread.map((m) => ({
            type: 'message',
            user: 'UBOT',
            bot_id: 'BBOT',
            app_id: 'A1',
            text: m.text,
            ts: m.ts,
            ...(m.thread_ts ? { thread_ts: m.thread_ts, parent_user_id: 'UBOT' } : {}),
            ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}),
          })),
          has_more: false,
          response_metadata: { next_cursor: '' },
        };
      }
      case 'files.info': {
        // Files in `files` are this workspace's; any other id is another organisation's (Slack Connect) file the app cannot read.
        const file = this.files.get(args.file as string);
        if (!file) return { ok: false, error: 'file_not_found' };
        return {
          ok: true,
          file: { id: args.file, name: file.name, mimetype: file.mimetype, size: file.bytes.length, url_private_download: `${this.url}/files/${args.file}` },
        };
      }
      case 'files.getUploadURLExternal': {
        const fileId = `F${++this.#seq}`;
        this.#pendingUploads.set(fileId, { filename: args.filename as string });
        return { ok: true, upload_url: `${this.url}/upload/${fileId}`, file_id: fileId };
      }
      case 'files.completeUploadExternal': {
        const files = (typeof args.files === 'string' ? JSON.parse(args.files) : args.files) as { id: string }[];
        for (const f of files) {
          const pending = this.#pendingUploads.get(f.id);
          this.uploads.push({
            channel_id: args.channel_id as string,
            thread_ts: args.thread_ts as string,
            filename: pending?.filename ?? '',
            bytes: pending?.bytes ?? Buffer.alloc(0),
          });
        }
        return { ok: true, files: files.map((f) => ({ id: f.id })) };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }
}

/** The first file part of a multipart/form-data body (the body itself when not multipart). */
function fileFromMultipart(contentType: string, body: Buffer): Buffer {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  if (!boundary) return body;
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const start = body.indexOf(delimiter);
  const headersEnd = body.indexOf('\r\n\r\n', start);
  const end = body.indexOf(delimiter, headersEnd);
  return body.subarray(headersEnd + 4, end - 2);
}

/** Signs and posts a request to a Bolt HTTP receiver as Slack would. */
export async function postSigned(
  url: string,
  secret: string,
  body: string,
  contentType: string,
  options: { timestamp?: number; signature?: string; headers?: Record<string, string> } = {},
) {
  const ts = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = options.signature ?? `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': contentType, 'x-slack-signature': signature, 'x-slack-request-timestamp': String(ts), ...options.headers },
    body,
  });
  const text = await response.text();
  return { status: response.status, text };
}

let eventSeq = 0;

/** An Events API callback (JSON). */
export function sendEvent(url: string, secret: string, event: Record<string, unknown>, eventId = `Ev${++eventSeq}`) {
  const body = JSON.stringify({
    token: 'legacy',
    team_id: 'T1',
    api_app_id: 'A1',
    type: 'event_callback',
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    event,
  });
  return postSigned(url, secret, body, 'application/json');
}

/** A block_actions interaction (form field `payload`). */
export function sendAction(url: string, secret: string, input: { user: string; channel: string; messageTs: string; action: Record<string, unknown> }) {
  const payload = {
    type: 'block_actions',
    team: { id: 'T1' },
    user: { id: input.user },
    api_app_id: 'A1',
    token: 'legacy',
    container: { type: 'message', message_ts: input.messageTs, channel_id: input.channel },
    channel: { id: input.channel },
    message: { ts: input.messageTs, type: 'message', text: 'card' },
    trigger_id: 'trigger',
    response_url: 'http://127.0.0.1:9/unused',
    actions: [{ block_id: 'parley_actions', action_ts: String(Date.now() / 1000), ...input.action }],
  };
  return postSigned(url, secret, new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), 'application/x-www-form-urlencoded');
}

/** A slash command (form fields). */
export function sendCommand(url: string, secret: string, input: { user: string; channel: string; text: string }) {
  const fields = {
    token: 'legacy',
    team_id: 'T1',
    channel_id: input.channel,
    user_id: input.user,
    command: '/parley',
    text: input.text,
    api_app_id: 'A1',
    response_url: 'http://127.0.0.1:9/unused',
    trigger_id: 'trigger',
  };
  return postSigned(url, secret, new URLSearchParams(fields).toString(), 'application/x-www-form-urlencoded');
}
