import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What a fake provider does to one send request. */
export type Fault = 'none' | 'rate_limited' | 'server_error' | 'hang' | 'reset';

export interface FaultPlan {
  /** Share of requests answered 429 with Retry-After, 500, left hanging, or reset (0..1 each). */
  readonly rateLimited: number;
  readonly serverError: number;
  readonly hang: number;
  readonly reset: number;
  /** At most this many requests are left hanging per provider (each holds a connection until the run ends). */
  readonly maxHangs: number;
  /** Seconds announced in Retry-After of a 429. */
  readonly retryAfterSeconds: number;
  /** Recipients (digits only, no +) the provider always refuses permanently. */
  readonly refusedRecipients: ReadonlySet<string>;
}

export const noFaults: FaultPlan = { rateLimited: 0, serverError: 0, hang: 0, reset: 0, maxHangs: 0, retryAfterSeconds: 1, refusedRecipients: new Set() };

/** One outbound message as the customer would see it: channel, who got it and what it said. */
export const deliveryKey = (channel: string, to: string, body: string): string => `${channel}\u0001${to.replace(/^\+/, '')}\u0001${body}`;

/** What every fake provider of a run saw, in one place for the checker. */
export class DeliveryLedger {
  /** Accepted sends per delivery key. */
  readonly deliveries = new Map<string, number>();
  /** Wall-clock time (ms) of the last accepted send per delivery key. */
  readonly lastAcceptedAt = new Map<string, number>();
  /** Permanent refusals per delivery key. */
  readonly refused = new Map<string, number>();
  readonly faults: Record<Fault, number> = { none: 0, rate_limited: 0, server_error: 0, hang: 0, reset: 0 };
  /** Retries of a key that came before the Retry-After the provider gave it had passed. */
  retriedTooEarly = 0;
  /** Requests a fake could not read as a send (a bug in the sender or the harness). */
  readonly malformed: string[] = [];

  /** Extra deliveries of keys accepted more than once. */
  duplicates(): number {
    let extra = 0;
    for (const count of this.deliveries.values()) if (count > 1) extra += count - 1;
    return extra;
  }
}

/** A send request as a provider double read it; undefined when it is not one (answered 404/400 by the double). */
export interface ParsedSend {
  readonly to: string;
  readonly body: string;
}

/** How one provider's API looks on the wire: its send request and its answers. */
export interface ProviderDialect {
  readonly channel: string;
  parse(req: IncomingMessage, raw: Buffer): ParsedSend | { malformed: string; status: number };
  accepted(res: ServerResponse, send: ParsedSend, id: number): void;
  refused(res: ServerResponse): void;
  rateLimited(res: ServerResponse, retryAfterSeconds: number): void;
  serverError(res: ServerResponse): void;
}

/**
 * A provider API double on 127.0.0.1: counts each message it accepted in the ledger, and
 * injects faults by a seeded random plan. A 429 records when the sender may come back, so a
 * retry that ignored Retry-After is seen.
 */
export class FakeProvider {
  plan: FaultPlan = noFaults;
  readonly #server: Server;
  readonly #comeBackAt = new Map<string, number>();
  readonly #hanging = new Set<ServerResponse>();
  readonly #sockets = new Set<Socket>();
  readonly #random: () => number;
  #accepted = 0;
  #hangs = 0;

  constructor(
    private readonly dialect: ProviderDialect,
    private readonly ledger: DeliveryLedger,
    seed: number,
  ) {
    this.#random = seededRandom(seed);
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => this.#answer(req, Buffer.concat(chunks), res));
    });
    this.#server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  /**
   * Resolves once every connection open now has closed, or after `limitMs`. After a client is
   * killed, the requests it had already written are still to be read here: until its
   * connections close (the kernel closes them behind the last bytes sent), the ledger may not
   * show a send that reached the provider yet (seen under a doubled CI load: 53 repeats counted
   * against 50 sends found in flight).
   */
  async connectionsClosed(limitMs = 10_000): Promise<void> {
    const open = [...this.#sockets].map((socket) => new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve()))));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(open), new Promise<void>((resolve) => (timer = setTimeout(resolve, limitMs)))]);
    clearTimeout(timer);
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const response of this.#hanging) response.socket?.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #answer(req: IncomingMessage, raw: Buffer, res: ServerResponse): void {
    const { ledger, dialect } = this;
    const send = dialect.parse(req, raw);
    if ('malformed' in send) {
      ledger.malformed.push(`${dialect.channel}: ${send.malformed}`);
      res.writeHead(send.status, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ error: send.malformed }));
    }
    const key = deliveryKey(dialect.channel, send.to, send.body);
    const now = performance.now();
    const comeBackAt = this.#comeBackAt.get(key);
    if (comeBackAt !== undefined && now < comeBackAt) ledger.retriedTooEarly++;
    this.#comeBackAt.delete(key);

    if (this.plan.refusedRecipients.has(send.to.replace(/^\+/, ''))) {
      ledger.refused.set(key, (ledger.refused.get(key) ?? 0) + 1);
      return dialect.refused(res);
    }
    const fault = this.#pickFault();
    ledger.faults[fault]++;
    switch (fault) {
      case 'rate_limited':
        this.#comeBackAt.set(key, now + this.plan.retryAfterSeconds * 1000);
        return dialect.rateLimited(res, this.plan.retryAfterSeconds);
      case 'server_error':
        return dialect.serverError(res);
      case 'hang':
        this.#hanging.add(res);
        return;
      case 'reset':
        res.socket?.destroy();
        return;
      case 'none':
        ledger.deliveries.set(key, (ledger.deliveries.get(key) ?? 0) + 1);
        ledger.lastAcceptedAt.set(key, Date.now());
        return dialect.accepted(res, send, ++this.#accepted);
    }
  }

  #pickFault(): Fault {
    const { rateLimited, serverError, hang, reset, maxHangs } = this.plan;
    const roll = this.#random();
    if (roll < rateLimited) return 'rate_limited';
    if (roll < rateLimited + serverError) return 'server_error';
    if (roll < rateLimited + serverError + hang) return this.#hangs++ < maxHangs ? 'hang' : 'none';
    if (roll < rateLimited + serverError + hang + reset) return 'reset';
    return 'none';
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** mulberry32: a small seeded generator, so a run's faults can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
