import type { AgentText } from '../agent-text/agent-text.ts';

/** What an alert is about, as agents identify it. */
export interface AlertContext {
  readonly customerName?: string | null;
  readonly isKey?: boolean;
  readonly channel?: string;
  readonly conversationRef?: string;
  readonly ticketRefs?: string[];
}

/** "Customer: Ali Rezaei (key customer) · Channel: whatsapp · Conversation: 0a1b2c3d · Tickets: T-1, T-2" in the agents' language, each value passed through `value`. */
export function alertContextLine(context: AlertContext, text: AgentText, value: (text: string) => string = (t) => t): string {
  const parts: string[] = [];
  if (context.customerName !== undefined)
    parts.push(
      `${text.t('alert.customer')}: ${value(context.customerName ?? text.t('alert.no_name'))}${context.isKey ? ` (${text.t('alert.key_customer')})` : ''}`,
    );
  if (context.channel) parts.push(`${text.t('alert.channel')}: ${value(context.channel)}`);
  if (context.conversationRef) parts.push(`${text.t('alert.conversation')}: ${value(context.conversationRef)}`);
  if (context.ticketRefs && context.ticketRefs.length > 0) parts.push(`${text.t('alert.tickets')}: ${context.ticketRefs.map(value).join(', ')}`);
  return parts.join(' · ');
}
