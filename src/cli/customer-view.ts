import { explainChurn } from '../crm/churn.ts';
import type { customer360 } from '../crm/customers.ts';
import type { MergeRecord } from '../crm/merges.ts';

type Customer360 = Awaited<ReturnType<typeof customer360>>;

const OPEN_TICKET = new Set(['open', 'in_progress', 'waiting_for_customer']);
const at = (d: Date) => d.toISOString().slice(0, 16).replace('T', ' ');

/** `parley customers show`: the customer as an agent reads it, not a JSON dump. */
export function formatCustomer360(c: Customer360): string {
  const lines: string[] = [];
  lines.push(`${c.name ?? '(no name)'}${c.isKey ? '  ★ key customer' : ''}`);
  lines.push(`  id ${c.id} · stage ${c.lifecycleStage} · locale ${c.locale ?? '—'} · first seen ${at(c.firstSeenAt)} · last seen ${at(c.lastSeenAt)}`);
  if (c.keyReason) lines.push(`  key: ${c.isKey ? 'yes' : 'no'} (${c.keyReason})`);
  if (c.churn) lines.push(`  churn risk: ${explainChurn(c.churn)}`);
  const tags = c.tags as string[];
  if (tags.length) lines.push(`  tags: ${tags.join(', ')}`);
  const attributes = Object.entries(c.attributes as Record<string, unknown>);
  if (attributes.length) lines.push(`  attributes: ${attributes.map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ')}`);
  lines.push('', 'Identities');
  for (const i of c.identities) lines.push(`  ${i.channel}  ${i.address}${i.optedOutAt ? '  (opted out)' : ''}`);
  if (c.mergedFrom.length) lines.push(`  merged from: ${c.mergedFrom.map((m) => `${m.name ?? '(no name)'} ${m.id}`).join(', ')}`);
  const open = c.tickets.filter((t) => OPEN_TICKET.has(t.status));
  lines.push('', `Open tickets (${open.length} of ${c.tickets.length})`);
  for (const t of open)
    lines.push(`  ${t.ref}  ${t.kind}${t.category ? `/${t.category}` : ''}  ${t.status}  ${t.priority}  ${t.subject}  opened ${at(t.createdAt)}`);
  lines.push('', `Conversations (${c.conversations.length})`);
  for (const v of c.conversations.slice(0, 10)) {
    lines.push(`  ${v.ref ?? v.id}  ${v.channel}  ${v.status}  ${v._count.messages} messages  last ${at(v.lastMessageAt)}`);
  }
  const last = c.conversations[0];
  if (last) {
    lines.push('', `Last transcript (${last.ref ?? last.id})`);
    for (const m of c.lastTranscript) {
      const who = m.direction === 'inbound' ? 'customer' : m.authorKind;
      lines.push(`  ${at(m.createdAt)} ${who}${m.isInternalNote ? ' (note)' : ''}: ${m.text ?? '[attachment]'}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** One merge in `parley customers merges`: who, when, what moved, the conflicts. */
export function formatMerge(m: MergeRecord): string {
  const moved = Object.entries(m.moved)
    .filter(([, ids]) => ids.length > 0)
    .map(([kind, ids]) => `${ids.length} ${kind}`)
    .join(', ');
  const conflicts = m.conflicts.map((c) => `${c.field}: kept ${JSON.stringify(c.kept)}, other ${JSON.stringify(c.absorbed)}`);
  return [
    `${m.id}  ${at(m.at)}  by ${m.actor}  ${m.absorbedId} → ${m.keptId}${m.undoneAt ? `  (undone ${at(m.undoneAt)} by ${m.undoneBy})` : ''}`,
    `  moved: ${moved || 'nothing'}`,
    ...(conflicts.length ? [`  conflicts: ${conflicts.join('; ')}`] : []),
  ].join('\n');
}
