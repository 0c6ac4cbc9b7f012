import { fill } from './texts.ts';

/**
 * Every agent-facing word of an alert, in one place: the headline of each rule kind and the
 * labels of the context line. English here; translations key off the same names.
 */
export const ALERT_TEXTS = {
  csat: 'A customer rated {{score}} (CSAT).',
  complaints: 'A customer made {{count}} complaints within {{within}}.',
  complaintSpike: '{{count}} complaints about {{category}} within {{within}}.',
  keyCustomerWaiting: 'A key customer has waited over {{waited}} for an answer.',
  noCategory: '(no category)',
  customer: 'Customer',
  noName: '(no name)',
  keyCustomer: 'key customer',
  channel: 'Channel',
  conversation: 'Conversation',
  tickets: 'Tickets',
  openThread: 'Open the conversation thread',
} as const;

export type AlertTextKey = keyof typeof ALERT_TEXTS;

export function alertText(key: AlertTextKey, values: Record<string, string | number> = {}): string {
  return fill(ALERT_TEXTS[key], Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)])));
}

/** What an alert is about, as agents identify it. */
export interface AlertContext {
  readonly customerName?: string | null;
  readonly isKey?: boolean;
  readonly channel?: string;
  readonly conversationRef?: string;
  readonly ticketRefs?: string[];
}

/** "Customer: Ali Rezaei (key customer) · Channel: whatsapp · Conversation: 0a1b2c3d · Tickets: T-1, T-2", each value passed through `value`. */
export function alertContextLine(context: AlertContext, value: (text: string) => string = (t) => t): string {
  const parts: string[] = [];
  if (context.customerName !== undefined)
    parts.push(`${ALERT_TEXTS.customer}: ${value(context.customerName ?? ALERT_TEXTS.noName)}${context.isKey ? ` (${ALERT_TEXTS.keyCustomer})` : ''}`);
  if (context.channel) parts.push(`${ALERT_TEXTS.channel}: ${value(context.channel)}`);
  if (context.conversationRef) parts.push(`${ALERT_TEXTS.conversation}: ${value(context.conversationRef)}`);
  if (context.ticketRefs && context.ticketRefs.length > 0) parts.push(`${ALERT_TEXTS.tickets}: ${context.ticketRefs.map(value).join(', ')}`);
  return parts.join(' · ');
}
