import type { Command } from 'commander';

// Each action imports its module when it runs: `--help` and the other commands never load it.
const actions = () => import('./admin-actions.ts');

export function registerAdmin(program: Command): void {
  program
    .command('migrate')
    .description('Apply database migrations (also done at start); safe to run again')
    .action(async () => (await actions()).migrateCommand());

  program
    .command('config')
    .description('Print every environment variable Parley reads, its default and an example')
    .action(async () => (await actions()).configCommand());

  program
    .command('channels')
    .description('List the channels, whether each is on, and how to turn it on')
    .action(async () => (await import('./channels-action.ts')).channelsCommand());
}
