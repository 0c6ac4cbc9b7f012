import type { Command } from 'commander';
import { TICKET_STATUSES } from '../routing/ticket-statuses.ts';

// Each action imports its module when it runs: `--help` and the other commands never load it.
const actions = () => import('./routing-actions.ts');

export function registerRouting(program: Command): void {
  program
    .command('report')
    .description('Conversations, response and resolution times, CSAT, NPS, complaints and flow funnels')
    .option('--since <duration>', 'how far back: a duration (12h, 7d, 2w) or an ISO date', '30d')
    .option('--format <format>', 'table, csv or json', 'table')
    .action(async (options: { since: string; format: string }) => (await actions()).reportCommand(options));

  program
    .command('check-config')
    .description(
      'Validate the routing, alerts and templates files (PARLEY_ROUTING_CONFIG, PARLEY_ALERTS_CONFIG, PARLEY_TEMPLATES_FILE); errors name file:line:column',
    )
    .action(async () => (await actions()).checkConfigCommand());

  program
    .command('ticket <ref> <status>')
    .description(`Move a ticket (${TICKET_STATUSES.join(', ')}); closing a complaint needs --root-cause`)
    .option('--root-cause <cause>', 'why the complaint happened')
    .action(async (ref: string, status: string, options: { rootCause?: string }) => (await actions()).ticketCommand(ref, status, options));
}
