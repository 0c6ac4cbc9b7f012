import { setTimeout as sleep } from 'node:timers/promises';
import { seededRandom } from './fake-graph.ts';
import { metaSignature, type PlannedMessage, tagOf, webhookBody } from './webhooks.ts';

export interface LoadShape {
  readonly customers: number;
  readonly messagesPerCustomer: number;
  /** Share of customers whose messages include poison (a NUL byte, a lone surrogate). */
  readonly poisonShare: number;
}

/** One webhook request: a customer's message, or a poison message and a good one in one body. */
export interface PlannedWebhook {
  readonly messages: readonly PlannedMessage[];
}

/** What became of one webhook: 2xx, a 4xx refusal (the provider stops retrying), or no answer. */
export interface WebhookOutcome {
  readonly webhook: PlannedWebhook;
  status: 'acknowledged' | 'refused' | 'unanswered';
  /** 5xx answers it got on the way (a good webhook should never get one). */
  serverErrors: number;
  lastAnswer?: string;
}

const POISON: Record<NonNullable<PlannedMessage['poison']>, string> = { nul: 'before\u0000after', lone_surrogate: 'half \ud800 a pair' };

/**
 * Every customer's messages in order. Text carries the customer and sequence number; the first
 * message starts the echo flow (reply "ready"), each later good one is echoed. A poisoned
 * customer gets one poison message alone and one sent together with the next good message.
 */
export function planLoad(shape: LoadShape, runId: string, seed: number): PlannedWebhook[][] {
  const random = seededRandom(seed);
  const plans: PlannedWebhook[][] = [];
  for (let customer = 0; customer < shape.customers; customer++) {
    const poisoned = random() < shape.poisonShare && shape.messagesPerCustomer >= 3;
    const message = (seq: number, poison?: PlannedMessage['poison']): PlannedMessage => {
      const tag = tagOf(customer, seq);
      const text = poison ? `${tag} ${POISON[poison]}` : `${tag} سفارش من کجاست؟ where is my order`;
      return {
        externalId: `wamid.chaos.${runId}.${tag}`,
        customer,
        seq,
        text,
        poison,
        expectedReply: poison ? undefined : seq === 0 ? 'ready' : `echo ${text}`,
      };
    };
    const webhooks: PlannedWebhook[] = [];
    let seq = 0;
    webhooks.push({ messages: [message(seq++)] });
    if (poisoned) {
      webhooks.push({ messages: [message(seq++, 'nul')] });
      webhooks.push({ messages: [message(seq++, 'lone_surrogate'), message(seq++)] });
    }
    while (webhooks.length < shape.messagesPerCustomer) webhooks.push({ messages: [message(seq++)] });
    plans.push(webhooks);
  }
  return plans;
}

export interface LoadOptions {
  readonly appSecret: string;
  /** Base URLs of the Parley processes up now (empty while all are down). */
  readonly targets: () => readonly string[];
  /** The run gives up on webhooks not answered by then. */
  readonly deadline: number;
  /** 5xx answers after which a webhook counts as unanswered (Meta would go on for days). */
  readonly maxServerErrors: number;
  readonly seed: number;
}

/**
 * Sends every customer's webhooks as Meta would: one customer's in order (the next only after
 * the previous was answered), all customers at once, each to a live process; connection errors
 * and 5xx are retried with backoff, so a killed process only delays its webhooks.
 */
export async function sendLoad(plans: readonly PlannedWebhook[][], options: LoadOptions): Promise<WebhookOutcome[]> {
  const random = seededRandom(options.seed);
  const outcomes: WebhookOutcome[] = [];
  await Promise.all(
    plans.map(async (webhooks) => {
      for (const webhook of webhooks) {
        const outcome: WebhookOutcome = { webhook, status: 'unanswered', serverErrors: 0 };
        outcomes.push(outcome);
        await deliver(outcome, options, random);
        await sleep(Math.floor(random() * 20));
      }
    }),
  );
  return outcomes;
}

async function deliver(outcome: WebhookOutcome, options: LoadOptions, random: () => number): Promise<void> {
  const body = webhookBody(outcome.webhook.messages, Math.floor(Date.now() / 1000));
  const signature = metaSignature(body, options.appSecret);
  for (let attempt = 0; Date.now() < options.deadline; attempt++) {
    const targets = options.targets();
    const target = targets[Math.floor(random() * targets.length)];
    if (target) {
      try {
        const response = await fetch(`${target}/webhooks/whatsapp`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
          body,
          signal: AbortSignal.timeout(60_000),
        });
        const answer = await response.text();
        outcome.lastAnswer = `HTTP ${response.status} ${answer.slice(0, 300)}`;
        if (response.ok) {
          outcome.status = 'acknowledged';
          return;
        }
        if (response.status < 500) {
          outcome.status = 'refused';
          return;
        }
        outcome.serverErrors++;
        if (outcome.serverErrors >= options.maxServerErrors) return;
      } catch (error) {
        // The process died or is restarting: Meta retries such a webhook later.
        outcome.lastAnswer = `no answer: ${(error as Error).message}`;
      }
    }
    await sleep(Math.min(2_000, 100 * 2 ** Math.min(attempt, 5)) * (0.5 + random()));
  }
}
