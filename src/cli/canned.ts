import type { Command } from 'commander';
import { PLACEHOLDERS } from '../desk/canned.ts';

// Each action imports its module when it runs: `--help` and the other commands never load it.
const actions = () => import('./canned-actions.ts');

export function registerCanned(program: Command): void {
  const canned = program
    .command('canned')
    .description(
      `Canned responses agents send with one command (placeholders: ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}; a fallback: {{customer.first_name|there}})`,
    );

  canned
    .command('list')
    .description('List the canned responses')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => (await actions()).listCannedCommand(options));

  canned
    .command('add <name> <text...>')
    .description('Create or replace a canned response')
    .action(async (name: string, words: string[]) => (await actions()).addCannedCommand(name, words));

  canned
    .command('remove <name>')
    .description('Delete a canned response')
    .action(async (name: string) => (await actions()).removeCannedCommand(name));
}
