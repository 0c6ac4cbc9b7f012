import type { PlannedMessage } from '../../scripts/chaos/webhooks.ts';

/**
 * What the customers of one load window say, as the shipped welcome flow expects it: a first
 * message (the flow greets and asks the name), then a name, then a choice. Message `i` is
 * customer `i % customers`'s message number `i / customers`, so one customer's messages are
 * `customers / rate` seconds apart and arrive in order.
 */
const SAYINGS = ['سلام، سفارش من کجاست؟', 'بله', '۲'];

export interface ConversationShape {
  /** Customer numbers start here (each window its own, so every customer is new). */
  readonly firstCustomer: number;
  readonly customers: number;
  readonly runId: string;
}

export function plannedMessage(i: number, shape: ConversationShape): PlannedMessage {
  const customer = shape.firstCustomer + (i % shape.customers);
  const seq = Math.floor(i / shape.customers);
  const text = SAYINGS[Math.min(seq, SAYINGS.length - 1)] as string;
  return { externalId: `wamid.e2e.${shape.runId}.${customer}.${seq}`, channel: 'whatsapp', customer, seq, text };
}
