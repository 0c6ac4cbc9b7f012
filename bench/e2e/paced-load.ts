// The load of `npm run bench:e2e`, run as its own process so it does not share an event loop
// with the fake provider or the measurements: signed WhatsApp Cloud API webhooks POSTed at a
// fixed offered rate (open loop: a slow answer never delays the next request), each message
// from the welcome conversations. Receives a LoadOrder over IPC, answers with a LoadResult.
import { Agent, request } from 'node:http';
import { webhookRequest } from '../../scripts/chaos/webhooks.ts';
import { type ConversationShape, plannedMessage } from './welcome-conversations.ts';

export interface LoadOrder {
  readonly baseUrl: string;
  readonly rate: number;
  readonly seconds: number;
  readonly appSecret: string;
  readonly conversations: ConversationShape;
  /** A webhook not answered by then counts as unanswered (Meta retries it). */
  readonly timeoutMs: number;
}

export interface LoadResult {
  readonly sent: number;
  readonly acked: number;
  readonly refused: number;
  readonly unanswered: number;
  /** Ack latencies (ms from the request's scheduled time) at p50 and p99, and the largest. */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Wall clock (ms) of the first scheduled request and of the last answer. */
  readonly startedAt: number;
  readonly lastAnswerAt: number;
  /** How far behind its schedule the sender itself fell at most (ms): the load generator's own limit. */
  readonly senderLagMs: number;
}

const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

export async function runLoad(order: LoadOrder): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 2_000 });
  const total = Math.round(order.rate * order.seconds);
  const latencies: number[] = [];
  let refused = 0;
  let unanswered = 0;
  let lastAnswerAt = 0;
  let senderLagMs = 0;
  const startedAt = Date.now();
  const t0 = performance.now();
  const answers: Promise<void>[] = [];
  let next = 0;
  await new Promise<void>((done) => {
    const tick = () => {
      const now = performance.now();
      while (next < total && t0 + (next * 1000) / order.rate <= now) {
        const scheduled = t0 + (next * 1000) / order.rate;
        senderLagMs = Math.max(senderLagMs, now - scheduled);
        const message = plannedMessage(next++, order.conversations);
        const webhook = webhookRequest([message], order.baseUrl, { metaAppSecret: order.appSecret, twilioAuthToken: '' });
        answers.push(
          post(agent, webhook.url, webhook.headers, webhook.body, order.timeoutMs).then((status) => {
            lastAnswerAt = Date.now();
            if (status >= 200 && status < 300) latencies.push(performance.now() - scheduled);
            else if (status >= 400 && status < 500) refused++;
            else unanswered++;
          }),
        );
      }
      if (next < total) setTimeout(tick, 1);
      else done();
    };
    tick();
  });
  await Promise.all(answers);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    sent: total,
    acked: latencies.length,
    refused,
    unanswered,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? Number.NaN,
    startedAt,
    lastAnswerAt,
    senderLagMs,
  };
}

/** POSTs and resolves with the status, or 0 for no answer in time (connection error, timeout). */
function post(agent: Agent, url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { agent, method: 'POST', headers, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

if (process.send) {
  process.on('message', (order: LoadOrder) => {
    void runLoad(order).then((result) => {
      process.send?.(result);
    });
  });
  process.send({ ready: true });
}
