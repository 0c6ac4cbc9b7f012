import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

/** What the fake does to one send request. */
export type Fault = 'none' | 'rate_limited' | 'server_error' | 'hang' | 'reset';

export interface FaultPlan {
  /** Share of requests answered 429 with Retry-After, 500, left hanging, or reset (0..1 each). */
  readonly rateLimited: number;
  readonly serverError: number;
  readonly hang: number;
  readonly reset: number;
  /** At most this many requests are left hanging (each holds a connection until the run ends). */
  readonly maxHangs: number;
  /** Seconds announced in Retry-After of a 429. */
  readonly retryAfterSeconds: number;
  /** Recipients (wa_id, digits only) the fake always refuses permanently (Meta 131026). */
  readonly refusedRecipients: ReadonlySet<string>;
}

export const noFaults: FaultPlan = { rateLimited: 0, serverError: 0, hang: 0, reset: 0, maxHangs: 0, retryAfterSeconds: 1, refusedRecipients: new Set() };

const SendBodySchema = z.object({
  to: z.string().min(1),
  type: z.string(),
  text: z.object({ body: z.string() }).optional(),
  interactive: z
    .object({ body: z.object({ text: z.string() }).optional() })
    .passthrough()
    .optional(),
});

/** One outbound message as the customer would see it: who got it and what it said. */
export const deliveryKey = (to: string, body: string): string => `${to.replace(/^\+/, '')}\u0001${body}`;

/**
 * Meta's Graph API as a double on 127.0.0.1 (POST /{version}/{phone-number-id}/messages): it
 * counts each message it accepted (HTTP 200) by recipient and text, and injects faults by a
 * seeded random plan. A 429 records when the sender may come back, so a retry that ignored
 * Retry-After is seen.
 */
export class FakeGraphApi {
  /** Accepted sends per delivery key. */
  readonly deliveries = new Map<string, number>();
  /** Wall-clock time (ms) of the last accepted send per delivery key. */
  readonly lastAcceptedAt = new Map<string, number>();
  /** Requests per fault, and how many arrived at all. */
  readonly faults: Record<Fault, number> = { none: 0, rate_limited: 0, server_error: 0, hang: 0, reset: 0 };
  /** Permanent refusals per delivery key. */
  readonly refused = new Map<string, number>();
  /** Retries of a key that came before the Retry-After the fake gave it had passed. */
  retriedTooEarly = 0;
  /** Requests the fake could not read as a Graph send (a bug in the sender or the harness). */
  readonly malformed: string[] = [];
  plan: FaultPlan = noFaults;
  readonly #server: Server;
  readonly #comeBackAt = new Map<string, number>();
  readonly #hanging = new Set<ServerResponse>();
  #random: () => number;

  constructor(
    private readonly phoneNumberId: string,
    seed: number,
  ) {
    this.#random = seededRandom(seed);
    this.#server = createServer((req, res) => this.#onRequest(req, res));
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Delivery keys accepted more than once, with how many extra times. */
  duplicates(): number {
    let extra = 0;
    for (const count of this.deliveries.values()) if (count > 1) extra += count - 1;
    return extra;
  }

  async close(): Promise<void> {
    for (const response of this.#hanging) response.socket?.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => this.#answer(req, Buffer.concat(chunks), res));
  }

  #answer(req: IncomingMessage, raw: Buffer, res: ServerResponse): void {
    if (req.method !== 'POST' || req.url?.split('?')[0]?.replace(/^\/v[\d.]+\//, '') !== `${this.phoneNumberId}/messages`) {
      this.malformed.push(`${req.method} ${req.url}`);
      return graphError(res, 404, 100, `unknown path ${req.url}`);
    }
    let parsed: z.infer<typeof SendBodySchema>;
    try {
      parsed = SendBodySchema.parse(JSON.parse(raw.toString('utf8')));
    } catch (error) {
      this.malformed.push(`body: ${(error as Error).message.slice(0, 200)}`);
      return graphError(res, 400, 100, 'invalid parameter');
    }
    const key = deliveryKey(parsed.to, parsed.text?.body ?? parsed.interactive?.body?.text ?? `(${parsed.type})`);
    const now = performance.now();
    const comeBackAt = this.#comeBackAt.get(key);
    if (comeBackAt !== undefined && now < comeBackAt) this.retriedTooEarly++;
    this.#comeBackAt.delete(key);

    if (this.plan.refusedRecipients.has(parsed.to)) {
      this.refused.set(key, (this.refused.get(key) ?? 0) + 1);
      // https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes: 131026 = message undeliverable.
      return graphError(res, 400, 131026, 'Message Undeliverable');
    }
    const fault = this.#pickFault();
    this.faults[fault]++;
    switch (fault) {
      case 'rate_limited':
        this.#comeBackAt.set(key, now + this.plan.retryAfterSeconds * 1000);
        // 130429: Cloud API throughput reached.
        return graphError(res, 429, 130429, 'Rate limit hit', { 'retry-after': String(this.plan.retryAfterSeconds) });
      case 'server_error':
        return graphError(res, 500, 131000, 'Something went wrong');
      case 'hang':
        this.#hanging.add(res);
        return;
      case 'reset':
        res.socket?.destroy();
        return;
      case 'none': {
        this.deliveries.set(key, (this.deliveries.get(key) ?? 0) + 1);
        this.lastAcceptedAt.set(key, Date.now());
        const id = `wamid.fake.${this.faults.none}`;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ messaging_product: 'whatsapp', contacts: [{ input: parsed.to, wa_id: parsed.to }], messages: [{ id }] }));
      }
    }
  }

  #pickFault(): Fault {
    const { rateLimited, serverError, hang, reset, maxHangs } = this.plan;
    const roll = this.#random();
    if (roll < rateLimited) return 'rate_limited';
    if (roll < rateLimited + serverError) return 'server_error';
    if (roll < rateLimited + serverError + hang) return this.faults.hang < maxHangs ? 'hang' : 'none';
    if (roll < rateLimited + serverError + hang + reset) return 'reset';
    return 'none';
  }
}

function graphError(res: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ error: { message, type: 'OAuthException', code, fbtrace_id: 'chaos' } }));
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
