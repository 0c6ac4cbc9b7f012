import { WebSocket } from 'ws';
import type { Entry, ServerFrame } from '../../channels/webchat/protocol.ts';
import { SUBPROTOCOL } from '../../channels/webchat/routes.ts';
import { eventually } from './eventually.ts';

/** A page's side of the webchat protocol, for tests: a session, then a WebSocket or plain HTTP. */
export class WebchatClient {
  readonly frames: ServerFrame[] = [];
  socket: WebSocket | undefined;

  constructor(
    readonly baseUrl: string,
    readonly origin = 'https://shop.example.com',
  ) {}

  async session(body: Record<string, unknown> = {}): Promise<{ status: number; json: Record<string, unknown> & { token?: string } }> {
    const response = await fetch(`${this.baseUrl}/webchat/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: this.origin },
      body: JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> & { token?: string } };
  }

  /** Opens the socket; resolves once open, rejects with the refusal's status. */
  connect(token: string, origin = this.origin): Promise<void> {
    const socket = new WebSocket(`${this.baseUrl.replace(/^http/, 'ws')}/webchat/socket`, [SUBPROTOCOL, token], { origin });
    this.socket = socket;
    socket.on('message', (data) => this.frames.push(JSON.parse(data.toString()) as ServerFrame));
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('unexpected-response', (_request, response) => reject(new Error(`refused: ${response.statusCode}`)));
      socket.once('error', reject);
    });
  }

  send(frame: Record<string, unknown>): void {
    this.socket?.send(JSON.stringify(frame));
  }

  async close(): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.readyState === socket.CLOSED) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.close();
    });
  }

  /** Every transcript entry received so far, once each, in order. */
  entries(): Entry[] {
    const bySeq = new Map<number, Entry>();
    for (const frame of this.frames) if (frame.type === 'entries') for (const entry of frame.entries) bySeq.set(entry.seq, entry);
    return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  }

  async waitFor<T extends ServerFrame['type']>(type: T, match: (frame: Extract<ServerFrame, { type: T }>) => boolean = () => true) {
    let found: Extract<ServerFrame, { type: T }> | undefined;
    await eventually(() => {
      found = this.frames.find((f): f is Extract<ServerFrame, { type: T }> => f.type === type && match(f as Extract<ServerFrame, { type: T }>));
      if (!found) throw new Error(`no ${type} frame yet: ${JSON.stringify(this.frames)}`);
    });
    return found as Extract<ServerFrame, { type: T }>;
  }

  async http(path: string, token: string, init: { method?: string; body?: unknown } = {}) {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${token}`, origin: this.origin, ...(init.body ? { 'content-type': 'application/json' } : {}) },
      body: init.body ? JSON.stringify(init.body) : undefined,
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }
}
