import { renderAsText } from '../core/render.ts';
import { conversationMessages, listConversations } from '../crm/conversations.ts';
import { unreadPhoneReason } from '../core/address.ts';
import { customer360, searchCustomers } from '../crm/customers.ts';
import { mergeCustomers } from '../crm/merges.ts';
import type { ConversationStatus } from '../generated/sqlite/enums.ts';
import { printJson, withDatabase } from './context.ts';

export async function searchCustomersCommand(query: string, options: { json?: boolean }): Promise<void> {
  await withDatabase(async (db, config) => {
    const found = await searchCustomers(db, query, { defaultRegion: config.PARLEY_DEFAULT_REGION });
    if (options.json) return printJson(found);
    if (found.length === 0) {
      const why = unreadPhoneReason(query, config.PARLEY_DEFAULT_REGION);
      return void process.stdout.write(`no customer found${why ? `: ${why}` : ''}\n`);
    }
    for (const c of found) {
      process.stdout.write(`${c.id}  ${c.name ?? '(no name)'}${c.isKey ? ' ★' : ''}  ${c.identities.map((i) => `${i.channel}:${i.address}`).join(', ')}\n`);
    }
  });
}

export async function showCustomerCommand(id: string): Promise<void> {
  await withDatabase(async (db) => printJson(await customer360(db, id)));
}

export async function mergeCustomersCommand(keepId: string, mergeId: string): Promise<void> {
  await withDatabase(async (db) => {
    const result = await mergeCustomers(db, keepId, mergeId, 'cli');
    printJson(result);
  });
}

export async function listConversationsCommand(options: { status?: ConversationStatus; channel?: string; limit: number }): Promise<void> {
  await withDatabase(async (db) => {
    const list = await listConversations(db, { status: options.status, channel: options.channel, limit: options.limit });
    for (const c of list) {
      process.stdout.write(`${c.id}  ${c.channel}  ${c.status}  ${c.customer.name ?? c.customerId}  last ${c.lastMessageAt.toISOString()}\n`);
    }
  });
}

export async function showConversationCommand(id: string): Promise<void> {
  await withDatabase(async (db) => {
    for (const m of await conversationMessages(db, id, { limit: 500 })) {
      const who = m.direction === 'inbound' ? 'customer' : m.authorKind;
      const status = m.direction === 'outbound' ? ` [${m.deliveryStatus}${m.failureReason ? `: ${m.failureReason}` : ''}]` : '';
      const text = renderAsText({ text: m.text ?? undefined, format: 'plain', attachments: [] });
      process.stdout.write(`${m.createdAt.toISOString()} ${who}${m.isInternalNote ? ' (note)' : ''}: ${text}${status}\n`);
    }
  });
}
