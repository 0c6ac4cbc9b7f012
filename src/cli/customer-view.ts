import type { AgentText } from '../agent-text/agent-text.ts';
import { explainChurn } from '../crm/churn.ts';
import type { customer360 } from '../crm/customers.ts';
import type { MergeRecord } from '../crm/merges.ts';
import { OPEN_TICKET_STATUSES } from '../routing/ticket-statuses.ts';

type Customer360 = Awaited<ReturnType<typeof customer360>>;

const OPEN_TICKET = new Set<string>(OPEN_TICKET_STATUSES);

/** Who wrote a message, in the agent's words. */
export function authorLabel(text: AgentText, m: { direction: string; authorKind: string }): string {
  const kind = m.direction === 'inbound' ? 'customer' : m.authorKind;
  return kind === 'customer' || kind === 'bot' || kind === 'agent' || kind === 'system' ? text.t(`cli.author.${kind}`) : kind;
}

/** `parley customers show`: the customer as an agent reads it, in the agent's language, calendar and time zone. */
export function formatCustomer360(c: Customer360, text: AgentText): string {
  const at = (d: Date) => text.dateTime(d);
  const noName = text.t('cli.customer.no_name');
  const lines: string[] = [];
  lines.push(`${c.name ?? noName}${c.isKey ? `  ${text.t('cli.customer.key')}` : ''}`);
  lines.push(
    `  ${text.t('cli.customer.facts', { id: c.id, stage: c.lifecycleStage, locale: c.locale ?? '—', firstSeen: at(c.firstSeenAt), lastSeen: at(c.lastSeenAt) })}`,
  );
  if (c.keyReason) lines.push(`  ${text.t(c.isKey ? 'cli.customer.key_yes' : 'cli.customer.key_no', { reason: c.keyReason })}`);
  if (c.churn) lines.push(`  ${text.t('cli.customer.churn', { explanation: explainChurn(c.churn, text) })}`);
  const tags = c.tags as string[];
  if (tags.length) lines.push(`  ${text.t('cli.customer.tags', { tags: tags.join(', ') })}`);
  const attributes = Object.entries(c.attributes as Record<string, unknown>);
  if (attributes.length)
    lines.push(
      `  ${text.t('cli.customer.attributes', { attributes: attributes.map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ') })}`,
    );
  lines.push('', text.t('cli.customer.identities'));
  for (const i of c.identities) lines.push(`  ${i.channel}  ${i.address}${i.optedOutAt ? `  ${text.t('cli.customer.opted_out')}` : ''}`);
  if (c.mergedFrom.length)
    lines.push(`  ${text.t('cli.customer.merged_from', { customers: c.mergedFrom.map((m) => `${m.name ?? noName} ${m.id}`).join(', ') })}`);
  const open = c.tickets.filter((t) => OPEN_TICKET.has(t.status));
  lines.push('', text.t('cli.customer.open_tickets', { open: open.length, total: c.tickets.length }));
  for (const t of open)
    lines.push(
      `  ${t.ref}  ${t.kind}${t.category ? `/${t.category}` : ''}  ${t.status}  ${t.priority}  ${t.subject}  ${text.t('cli.customer.opened', { at: at(t.createdAt) })}`,
    );
  lines.push('', text.t('cli.customer.conversations', { count: c.conversations.length }));
  for (const v of c.conversations.slice(0, 10)) {
    lines.push(
      `  ${v.ref ?? v.id}  ${v.channel}  ${v.status}  ${text.t('cli.customer.conversation_facts', { messages: v._count.messages, at: at(v.lastMessageAt) })}`,
    );
  }
  const last = c.conversations[0];
  if (last) {
    lines.push('', text.t('cli.customer.last_transcript', { ref: last.ref ?? last.id }));
    for (const m of c.lastTranscript) {
      const note = m.isInternalNote ? ` ${text.t('cli.customer.note')}` : '';
      lines.push(`  ${at(m.createdAt)} ${authorLabel(text, m)}${note}: ${m.text ?? text.t('cli.customer.attachment')}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** One merge in `parley customers merges`: who, when, what moved, the conflicts. */
export function formatMerge(m: MergeRecord, text: AgentText): string {
  const at = (d: Date) => text.dateTime(d);
  const moved = (Object.entries(m.moved) as [keyof MergeRecord['moved'], string[]][])
    .filter(([, ids]) => ids.length > 0)
    .map(([kind, ids]) => text.t(`cli.merge.kind.${kind}`, { count: ids.length }))
    .join(', ');
  const conflicts = m.conflicts.map((c) => text.t('cli.merge.conflict', { field: c.field, kept: JSON.stringify(c.kept), other: JSON.stringify(c.absorbed) }));
  const undone = m.undoneAt ? `  ${text.t('cli.merge.undone', { at: at(m.undoneAt), by: m.undoneBy ?? '' })}` : '';
  return [
    `${m.id}  ${at(m.at)}  ${text.t('cli.merge.by', { actor: m.actor })}  ${m.absorbedId} → ${m.keptId}${undone}`,
    `  ${text.t('cli.merge.moved', { what: moved || text.t('cli.merge.nothing') })}`,
    ...(conflicts.length ? [`  ${text.t('cli.merge.conflicts', { conflicts: conflicts.join('; ') })}`] : []),
  ].join('\n');
}
