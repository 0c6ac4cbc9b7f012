import type { Command } from 'commander';

// Each action imports its module when it runs: `--help` and the other commands never load it.
const actions = () => import('./contact-actions.ts');

export function registerContact(program: Command): void {
  const templates = program.command('templates').description('The WhatsApp message templates file (PARLEY_TEMPLATES_FILE)');
  templates
    .command('list')
    .description('Each template: name, purpose, category, languages and variables')
    .option('--file <path>', 'the templates file (default PARLEY_TEMPLATES_FILE)')
    .option('--format <format>', 'table or json', 'table')
    .action(async (options: { file?: string; format: string }) => (await actions()).listTemplatesCommand(options));
  templates
    .command('check [file]')
    .description("Check a templates file against Meta's rules (variables, lengths, names, buttons); errors name file:line:column")
    .action(async (file: string | undefined) => (await actions()).checkTemplatesCommand(file));

  program
    .command('contact-policy')
    .description('How often Parley may contact a customer proactively (the PARLEY_*CONTACT* settings)')
    .command('show')
    .description('Print the effective contact policy')
    .option('--format <format>', 'table or json', 'table')
    .action(async (options: { format: string }) => (await actions()).showContactPolicyCommand(options));
}
