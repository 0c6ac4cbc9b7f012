import type { Entry, ServerFrame } from '../protocol.ts';

export const SUBPROTOCOL = 'parley.webchat.v1';

export interface SessionInfo {
  readonly visitor: { name: string | null; verified: boolean };
  readonly limits: { maxText: number; maxFileBytes: number; fileTypes: string[] };
  readonly outOfHours: Record<string, string> | null;
}

export interface Outgoing {
  readonly clientId: string;
  readonly text?: string;
  readonly reply?: { id: string; title?: string };
  readonly file?: { ref: string; name: string; mimeType: string; size: number };
  /** queued: not acknowledged yet; failed: refused for good (the reason is shown). */
  state: 'queued' | 'failed';
  error?: string;
  at: string;
}

export interface Identity {
  userId: string;
  email?: string;
  phone?: string;
  name?: string;
  hmac?: string;
}

type Listener = () => void;

const newClientId = () => {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
};

/**
 * The page's end of the conversation: a session token kept in localStorage (the same
 * conversation across reloads and tabs), a WebSocket that reconnects with backoff and falls
 * back to HTTP long-polling, and an outgoing queue kept (also in localStorage) until the server
 * acknowledges each message, so nothing typed is lost and a resend is stored once.
 */
export class Connection {
  readonly entries = new Map<number, Entry>();
  outgoing: Outgoing[] = [];
  session: SessionInfo | undefined;
  online = false;
  error: string | undefined;
  mode: 'socket' | 'poll' = 'socket';
  #token: string | undefined;
  #socket: WebSocket | undefined;
  #listeners = new Set<Listener>();
  #failures = 0;
  #everOpened = false;
  #reported = { received: 0, read: 0 };
  #stopped = false;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly base: string,
    readonly storageKey: string,
  ) {
    const saved = this.#load();
    this.#token = saved.token;
    for (const entry of saved.entries) this.entries.set(entry.seq, entry);
    this.outgoing = saved.outgoing;
  }

  get hasSession(): boolean {
    return this.#token !== undefined;
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get lastSeq(): number {
    let last = 0;
    for (const seq of this.entries.keys()) last = Math.max(last, seq);
    return last;
  }

  async start(options: { identity?: Identity; prechat?: Record<string, string> } = {}): Promise<void> {
    const response = await fetch(`${this.base}/webchat/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: this.#token, identity: options.identity, prechat: options.prechat }),
    });
    const json = await response.json();
    if (!response.ok) {
      this.error = json?.error?.message ?? `the chat is unavailable (${response.status})`;
      this.#changed();
      throw new Error(this.error);
    }
    // Another identity (a different user logged in) starts a conversation of its own.
    if (this.#token && this.#token !== json.token && this.#addressOf(this.#token) !== this.#addressOf(json.token)) this.entries.clear();
    this.#token = json.token;
    this.session = json;
    this.error = undefined;
    this.#save();
    this.#changed();
    this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    this.#socket?.close();
  }

  send(message: Omit<Outgoing, 'clientId' | 'state' | 'at'>): void {
    this.outgoing.push({ ...message, clientId: newClientId(), state: 'queued', at: new Date().toISOString() });
    this.#save();
    this.#changed();
    this.#flush();
  }

  retry(clientId: string): void {
    const item = this.outgoing.find((o) => o.clientId === clientId);
    if (!item) return;
    item.state = 'queued';
    item.error = undefined;
    this.#changed();
    this.#flush();
  }

  async upload(file: File): Promise<Outgoing['file']> {
    const response = await fetch(`${this.base}/webchat/files`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${this.#token}`,
        'content-type': file.type || 'application/octet-stream',
        'x-file-name': encodeURIComponent(file.name),
      },
      body: file,
    });
    const json = await response.json();
    if (!response.ok) throw new Error(json?.error?.message ?? `upload failed (${response.status})`);
    return json;
  }

  /** Tells the server what the page showed (delivered) and what the visitor saw (read). */
  report(kind: 'received' | 'read'): void {
    const upTo = this.lastSeq;
    if (upTo <= this.#reported[kind]) return;
    const after = this.#reported[kind];
    this.#reported[kind] = upTo;
    void this.#deliver({ type: kind, after, upTo });
  }

  #connect(): void {
    if (this.#stopped) return;
    if (this.mode === 'poll') return void this.#poll();
    const socket = new WebSocket(`${this.base.replace(/^http/, 'ws')}/webchat/socket`, [SUBPROTOCOL, this.#token as string]);
    this.#socket = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      this.#everOpened = true;
      this.#failures = 0;
      this.online = true;
      socket.send(JSON.stringify({ type: 'resume', after: this.lastSeq }));
      this.#changed();
      this.#flush();
    };
    socket.onmessage = (event) => this.#receive(JSON.parse(String(event.data)) as ServerFrame);
    socket.onclose = () => {
      this.online = false;
      this.#socket = undefined;
      this.#changed();
      this.#failures += 1;
      // WebSockets that never open while HTTP works (a proxy blocks them): long-polling instead.
      if (!opened && !this.#everOpened && this.#failures >= 3) this.mode = 'poll';
      this.#retryTimer = setTimeout(() => this.#connect(), Math.min(15_000, 500 * 2 ** Math.min(this.#failures, 5)));
    };
  }

  async #poll(): Promise<void> {
    while (!this.#stopped) {
      try {
        const response = await fetch(`${this.base}/webchat/poll?after=${this.lastSeq}`, { headers: { authorization: `Bearer ${this.#token}` } });
        if (!response.ok) throw new Error(String(response.status));
        this.online = true;
        this.#flush();
        this.#receive({ type: 'entries', entries: (await response.json()).entries });
      } catch {
        this.online = false;
        this.#changed();
        await new Promise((resolve) => setTimeout(resolve, 3000));
      }
    }
  }

  #flush(): void {
    if (!this.online) return;
    for (const item of this.outgoing)
      if (item.state === 'queued') void this.#deliver({ type: 'message', clientId: item.clientId, text: item.text, reply: item.reply, file: item.file });
  }

  async #deliver(frame: Record<string, unknown>): Promise<void> {
    if (this.mode === 'socket') {
      if (this.#socket?.readyState === WebSocket.OPEN) this.#socket.send(JSON.stringify(frame));
      return;
    }
    try {
      const response = await fetch(`${this.base}/webchat/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.#token}`, 'content-type': 'application/json' },
        body: JSON.stringify(frame),
      });
      if (response.ok) for (const reply of (await response.json()).frames as ServerFrame[]) this.#receive(reply);
    } catch {
      // Kept in the queue: the next flush sends it again with the same clientId.
    }
  }

  #receive(frame: ServerFrame): void {
    if (frame.type === 'entries') {
      for (const entry of frame.entries) {
        this.entries.set(entry.seq, entry);
        if (entry.clientId) this.outgoing = this.outgoing.filter((o) => o.clientId !== entry.clientId);
      }
      this.report('received');
    } else if (frame.type === 'ack') {
      // Stored: the entry itself arrives with the transcript (resume fetches it after a reload).
      const item = this.outgoing.find((o) => o.clientId === frame.clientId);
      if (item && this.mode === 'socket' && this.#socket?.readyState === WebSocket.OPEN)
        this.#socket.send(JSON.stringify({ type: 'resume', after: frame.seq - 1 }));
      if (item && this.mode === 'poll') void this.#catchUp(frame.seq - 1);
    } else if (frame.type === 'error' && frame.clientId) {
      const item = this.outgoing.find((o) => o.clientId === frame.clientId);
      if (item && frame.retryAfterMs !== undefined) setTimeout(() => this.#flush(), frame.retryAfterMs);
      else if (item) {
        item.state = 'failed';
        item.error = frame.message;
      }
    }
    this.#save();
    this.#changed();
  }

  async #catchUp(after: number): Promise<void> {
    await this.#deliver({ type: 'resume', after });
  }

  #addressOf(token: string): string | undefined {
    try {
      return JSON.parse(atob((token.split('.')[0] ?? '').replace(/-/g, '+').replace(/_/g, '/'))).address;
    } catch {
      return undefined;
    }
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }

  #load(): { token?: string; entries: Entry[]; outgoing: Outgoing[] } {
    try {
      const saved = JSON.parse(localStorage.getItem(this.storageKey) ?? '{}');
      return { token: saved.token, entries: Array.isArray(saved.entries) ? saved.entries : [], outgoing: Array.isArray(saved.outgoing) ? saved.outgoing : [] };
    } catch {
      return { entries: [], outgoing: [] };
    }
  }

  #save(): void {
    try {
      const entries = [...this.entries.values()].sort((a, b) => a.seq - b.seq).slice(-100);
      localStorage.setItem(this.storageKey, JSON.stringify({ token: this.#token, entries, outgoing: this.outgoing }));
    } catch {
      // Storage full or blocked (private mode): the conversation still works for this page.
    }
  }
}
