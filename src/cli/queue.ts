import { type Command, Option } from 'commander';
import { TicketKind, TicketStatus } from '../generated/sqlite/enums.ts';
import { integerBetween } from './arguments.ts';

// The commands' code loads when one runs: `--help` and the other commands never load it.
const deps = () => import('./queue-actions.ts');

const age = (minutes: number) => (minutes < 60 ? `${minutes}m` : minutes < 2880 ? `${Math.floor(minutes / 60)}h` : `${Math.floor(minutes / 1440)}d`);

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
        const { parseDuration, listTickets, printJson, userInput, withDatabase } = await deps();
        return withDatabase(async (db) => {
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
          if (list.length === 0) return void process.stdout.write('no tickets\n');
          for (const t of list) {
            const who = `${t.customer.name ?? t.customer.id}${t.customer.isKey ? ' ★' : ''}`;
            const where = t.conversation ? ` conv ${t.conversation.ref ?? t.conversation.id}` : '';
            process.stdout.write(
              `${t.ref}  ${t.status}  ${t.kind}${t.category ? `/${t.category}` : ''}  ${t.priority}  ${age(t.ageMinutes)}  ${who}  ${t.assignee?.name ?? 'unassigned'}${where}  ${t.subject}\n`,
            );
          }
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
      const { searchMessages, printJson, withDatabase } = await deps();
      return withDatabase(async (db) => {
        const hits = await searchMessages(db, text, { customerId: options.customer, channel: options.channel, limit: options.limit });
        if (options.json) return printJson(hits);
        if (hits.length === 0) return void process.stdout.write('no messages found\n');
        for (const m of hits) {
          const who = m.direction === 'inbound' ? (m.customerName ?? 'customer') : m.authorKind;
          process.stdout.write(
            `${m.createdAt.toISOString().slice(0, 16).replace('T', ' ')}  ${m.conversationRef ?? m.conversationId}  ${m.channel}  ${who}: ${m.text}\n`,
          );
        }
      });
    });
}
