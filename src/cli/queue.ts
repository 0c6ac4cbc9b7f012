import { type Command, Option } from 'commander';
import { TicketKind, TicketStatus } from '../generated/sqlite/enums.ts';
import { integerBetween } from './arguments.ts';

// The commands' code loads when one runs: `--help` and the other commands never load it.
const deps = () => import('./queue-actions.ts');

/** `parley tickets list` and `parley messages search`: the queue an agent works from the terminal. */
export function registerQueue(program: Command): void {
  const tickets = program.command('tickets').description('The ticket queue');
  tickets
    .command('list')
    .description('Tickets, oldest first, by status, kind, category, assignee and age')
    .addOption(new Option('--status <status...>', 'one or more statuses').choices(Object.values(TicketStatus)))
    .addOption(new Option('--kind <kind>', 'only this kind').choices(Object.values(TicketKind)))
    .option('--category <name>', 'only this category')
    .option('--assignee <agentId>', 'only tickets whose conversation this agent holds ("none": nobody)')
    .option('--customer <id>', "only this customer's tickets")
    .option('--older-than <duration>', 'opened at least this long ago (7d)')
    .option('--newer-than <duration>', 'opened at most this long ago (24h)')
    .option('--q <text>', 'text in the subject, or a ticket reference')
    .option('--limit <n>', 'how many (1-500)', integerBetween(1, 500), 50)
    .option('--json', 'print JSON')
    .action(
      async (options: {
        status?: TicketStatus[];
        kind?: TicketKind;
        category?: string;
        assignee?: string;
        customer?: string;
        olderThan?: string;
        newerThan?: string;
        q?: string;
        limit: number;
        json?: boolean;
      }) => {
        const { agentTextOf, formatTickets, parseDuration, listTickets, printJson, userInput, withDatabase } = await deps();
        return withDatabase(async (db, config) => {
          const older = options.olderThan;
          const newer = options.newerThan;
          const list = await listTickets(db, {
            status: options.status,
            kind: options.kind,
            category: options.category,
            assignee: options.assignee,
            customerId: options.customer,
            olderThanMs: older === undefined ? undefined : userInput('--older-than', () => parseDuration(older)),
            newerThanMs: newer === undefined ? undefined : userInput('--newer-than', () => parseDuration(newer)),
            q: options.q,
            limit: options.limit,
          });
          if (options.json) return printJson(list);
          process.stdout.write(formatTickets(list, agentTextOf(config)));
        });
      },
    );

  const messages = program.command('messages').description('Search messages');
  messages
    .command('search <text>')
    .description('Messages of all conversations containing the text (letter variants ي/ی ك/ک and digit systems match)')
    .option('--customer <id>', "only this customer's conversations")
    .option('--channel <name>', 'only this channel')
    .option('--limit <n>', 'how many (1-500)', integerBetween(1, 500), 50)
    .option('--json', 'print JSON')
    .action(async (text: string, options: { customer?: string; channel?: string; limit: number; json?: boolean }) => {
      const { agentTextOf, formatMessageHits, searchMessages, printJson, withDatabase } = await deps();
      return withDatabase(async (db, config) => {
        const hits = await searchMessages(db, text, { customerId: options.customer, channel: options.channel, limit: options.limit });
        if (options.json) return printJson(hits);
        process.stdout.write(formatMessageHits(hits, agentTextOf(config)));
      });
    });
}
