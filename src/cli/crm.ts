import { type Command, Option } from 'commander';
import { unreadPhoneReason } from '../core/address.ts';
import { renderAsText } from '../core/render.ts';
import { conversationMessages, listConversations } from '../crm/conversations.ts';
import { customer360, searchCustomers } from '../crm/customers.ts';
import { mergeCustomers } from '../crm/merges.ts';
import { ConversationStatus } from '../generated/sqlite/enums.ts';
import { integerBetween, printJson, withDatabase } from './context.ts';

export function registerCustomers(program: Command): void {
  const customers = program.command('customers').description('Find, show and merge customer records');

  customers
    .command('search <query>')
    .description('Search by name, phone number (any format or digits) or email')
    .option('--json', 'print JSON')
    .action(async (query: string, options: { json?: boolean }) =>
      withDatabase(async (db, config) => {
        const found = await searchCustomers(db, query, { defaultRegion: config.PARLEY_DEFAULT_REGION });
        if (options.json) return printJson(found);
        if (found.length === 0) {
          const why = unreadPhoneReason(query, config.PARLEY_DEFAULT_REGION);
          return void process.stdout.write(`no customer found${why ? `: ${why}` : ''}\n`);
        }
        for (const c of found) {
          process.stdout.write(`${c.id}  ${c.name ?? '(no name)'}${c.isKey ? ' ★' : ''}  ${c.identities.map((i) => `${i.channel}:${i.address}`).join(', ')}\n`);
        }
      }),
    );

  customers
    .command('show <id>')
    .description("Show a customer's whole record: identities, conversations, tickets, survey answers")
    .action(async (id: string) => withDatabase(async (db) => printJson(await customer360(db, id))));

  customers
    .command('merge <keepId> <mergeId>')
    .description('Merge customer <mergeId> into <keepId> (identities, conversations, tickets and attributes move; audited)')
    .action(async (keepId: string, mergeId: string) =>
      withDatabase(async (db) => {
        const result = await mergeCustomers(db, keepId, mergeId, 'cli');
        printJson(result);
      }),
    );
}

export function registerConversations(program: Command): void {
  const conversations = program.command('conversations').description('List conversations and read their messages');

  conversations
    .command('list')
    .description('List conversations, newest first')
    .addOption(new Option('--status <status>', 'only conversations in this status').choices(Object.values(ConversationStatus)))
    .option('--channel <name>', 'only this channel')
    .option('--limit <n>', 'how many (1-500)', integerBetween(1, 500), 50)
    .action(async (options: { status?: ConversationStatus; channel?: string; limit: number }) =>
      withDatabase(async (db) => {
        const list = await listConversations(db, { status: options.status, channel: options.channel, limit: options.limit });
        for (const c of list) {
          process.stdout.write(`${c.id}  ${c.channel}  ${c.status}  ${c.customer.name ?? c.customerId}  last ${c.lastMessageAt.toISOString()}\n`);
        }
      }),
    );

  conversations
    .command('show <id>')
    .description("Print a conversation's transcript")
    .action(async (id: string) =>
      withDatabase(async (db) => {
        for (const m of await conversationMessages(db, id, { limit: 500 })) {
          const who = m.direction === 'inbound' ? 'customer' : m.authorKind;
          const status = m.direction === 'outbound' ? ` [${m.deliveryStatus}${m.failureReason ? `: ${m.failureReason}` : ''}]` : '';
          const text = renderAsText({ text: m.text ?? undefined, format: 'plain', attachments: [] });
          process.stdout.write(`${m.createdAt.toISOString()} ${who}${m.isInternalNote ? ' (note)' : ''}: ${text}${status}\n`);
        }
      }),
    );
}
