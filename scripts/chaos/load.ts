import { setTimeout as sleep } from 'node:timers/promises';
import { seededRandom } from './fake-provider.ts';
import { channelOf, type PlannedMessage, type Secrets, tagOf, webhookRequest } from './webhooks.ts';

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
 * customer sends a NUL byte alone, then on WhatsApp a lone surrogate in one body with the next
 * good message (a form-encoded Twilio body is UTF-8 and cannot carry a lone surrogate).
 */
export function planLoad(shape: LoadShape, runId: string, seed: number): PlannedWebhook[][] {
  const random = seededRandom(seed);
  const plans: PlannedWebhook[][] = [];
  for (let customer = 0; customer < shape.customers; customer++) {
    const channel = channelOf(customer);
    const poisoned = random() < shape.poisonShare && shape.messagesPerCustomer >= 3;
    const message = (seq: number, poison?: PlannedMessage['poison']): PlannedMessage => {
      const tag = tagOf(customer, seq);
      const text = poison ? `${tag} ${POISON[poison]}` : `${tag} سفارش من کجاست؟ where is my order`;
      const externalId = channel === 'whatsapp' ? `wamid.chaos.${runId}.${tag}` : `SM${runId}${tag.replace('-', '')}`;
      return { externalId, channel, customer, seq, text, poison, expectedReply: poison ? undefined : seq === 0 ? 'ready' : `echo ${text}` };
    };
    const webhooks: PlannedWebhook[] = [];
    let seq = 0;
    webhooks.push({ messages: [message(seq++)] });
    if (poisoned) {
      webhooks.push({ messages: [message(seq++, 'nul')] });
      if (channel === 'whatsapp') webhooks.push({ messages: [message(seq++, 'lone_surrogate'), message(seq++)] });
    }
    while (webhooks.length < shape.messagesPerCustomer) webhooks.push({ messages: [message(seq++)] });
    plans.push(webhooks);
  }
  return plans;
}

export interface LoadOptions {
  readonly secrets: Secrets;
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
  for (let attempt = 0; Date.now() < options.deadline; attempt++) {
    const targets = options.targets();
    const target = targets[Math.floor(random() * targets.length)];
    if (target) {
      try {
        const request = webhookRequest(outcome.webhook.messages, target, options.secrets);
        const response = await fetch(request.url, { method: 'POST', headers: request.headers, body: request.body, signal: AbortSignal.timeout(60_000) });
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
