import type { AgentText } from '../agent-text/agent-text.ts';
import type { searchMessages } from '../crm/message-search.ts';
import type { listTickets } from '../crm/ticket-list.ts';
import { authorLabel } from './customer-view.ts';

type TicketRow = Awaited<ReturnType<typeof listTickets>>[number];
type MessageHit = Awaited<ReturnType<typeof searchMessages>>[number];

/** A ticket's age, short: minutes below an hour, hours below two days, then days. */
function age(text: AgentText, minutes: number): string {
  if (minutes < 60) return text.t('cli.age.minutes', { count: minutes });
  if (minutes < 2880) return text.t('cli.age.hours', { count: Math.floor(minutes / 60) });
  return text.t('cli.age.days', { count: Math.floor(minutes / 1440) });
}

/** `parley tickets list` as lines for the agent; "no tickets" in their language when empty. */
export function formatTickets(list: readonly TicketRow[], text: AgentText): string {
  if (list.length === 0) return `${text.t('cli.tickets.none')}\n`;
  return list
    .map((t) => {
      const who = `${t.customer.name ?? t.customer.id}${t.customer.isKey ? ' ★' : ''}`;
      const where = t.conversation ? ` ${text.t('cli.tickets.conversation', { ref: t.conversation.ref ?? t.conversation.id })}` : '';
      const kind = `${t.kind}${t.category ? `/${t.category}` : ''}`;
      return `${t.ref}  ${t.status}  ${kind}  ${t.priority}  ${age(text, t.ageMinutes)}  ${who}  ${t.assignee?.name ?? text.t('cli.tickets.unassigned')}${where}  ${t.subject}\n`;
    })
    .join('');
}

/** `parley messages search` hits as lines, dates on the agent's clock and calendar. */
export function formatMessageHits(hits: readonly MessageHit[], text: AgentText): string {
  if (hits.length === 0) return `${text.t('cli.messages.none')}\n`;
  return hits
    .map((m) => {
      const who = m.direction === 'inbound' ? (m.customerName ?? authorLabel(text, m)) : authorLabel(text, m);
      return `${text.dateTime(m.createdAt)}  ${m.conversationRef ?? m.conversationId}  ${m.channel}  ${who}: ${m.text}\n`;
    })
    .join('');
}
