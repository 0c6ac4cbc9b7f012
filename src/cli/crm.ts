import { type Command, Option } from 'commander';
import { ConversationStatus } from '../generated/sqlite/enums.ts';
import { integerBetween } from './arguments.ts';

// Each action imports its module when it runs: `--help` and the other commands never load it.
const actions = () => import('./crm-actions.ts');

export function registerCustomers(program: Command): void {
  const customers = program.command('customers').description('Find, show and merge customer records');

  customers
    .command('search <query>')
    .description('Search by name, phone number (any format or digits) or email')
    .option('--json', 'print JSON')
    .action(async (query: string, options: { json?: boolean }) => (await actions()).searchCustomersCommand(query, options));

  customers
    .command('show <id>')
    .description("Show a customer's whole record: identities, conversations, tickets, survey answers")
    .action(async (id: string) => (await actions()).showCustomerCommand(id));

  customers
    .command('merge <keepId> <mergeId>')
    .description('Merge customer <mergeId> into <keepId> (identities, conversations, tickets and attributes move; audited)')
    .action(async (keepId: string, mergeId: string) => (await actions()).mergeCustomersCommand(keepId, mergeId));
}

export function registerConversations(program: Command): void {
  const conversations = program.command('conversations').description('List conversations and read their messages');

  conversations
    .command('list')
    .description('List conversations, newest first')
    .addOption(new Option('--status <status>', 'only conversations in this status').choices(Object.values(ConversationStatus)))
    .option('--channel <name>', 'only this channel')
    .option('--limit <n>', 'how many (1-500)', integerBetween(1, 500), 50)
    .action(async (options: { status?: ConversationStatus; channel?: string; limit: number }) => (await actions()).listConversationsCommand(options));

  conversations
    .command('show <id>')
    .description("Print a conversation's transcript")
    .action(async (id: string) => (await actions()).showConversationCommand(id));
}
