import type { Command } from 'commander';
import type { SimulateOptions } from './flows-actions.ts';

// Each action imports its module when it runs: `--help` and the other commands never load it.
const actions = () => import('./flows-actions.ts');

export function registerFlows(program: Command): void {
  const flows = program.command('flows').description('Check, try and measure the flow files the bot runs');

  flows
    .command('validate')
    .description('Check every flow file; print each problem as file:line:column and exit 1 if there is any')
    .argument('[dir]', 'the flows directory (default PARLEY_FLOWS_DIR)')
    .action(async (dir?: string) => (await actions()).validateCommand(dir));

  flows
    .command('schema')
    .description('Print the JSON Schema of flow files (for editor autocompletion)')
    .action(async () => (await actions()).schemaCommand());

  flows
    .command('simulate')
    .description('Run a flow in the terminal as a customer would see it on a channel; answers are read from stdin')
    .argument('<flow>', 'the flow id')
    .option('--locale <locale>', "the customer's language", 'en')
    .option('--channel <name>', 'the channel whose rendering to show (whatsapp, sms, email, ...)', 'console')
    .option('--dir <dir>', 'the flows directory (default PARLEY_FLOWS_DIR)')
    .option('--new-customer', 'simulate a customer writing for the first time (default: a known customer)')
    .option('--live', "call the flow's webhooks for real (default: they answer 200 {} and are only shown)")
    .addHelpText(
      'after',
      '\nExamples:\n  parley flows simulate complaint --locale fa --channel sms\n  printf "2\\nThe box was crushed\\nskip\\n" | parley flows simulate complaint',
    )
    .action(async (flowId: string, options: SimulateOptions) => (await actions()).simulateCommand(flowId, options));

  flows
    .command('stats')
    .description('Per step of a flow: how many entered, answered, answered wrongly, timed out or dropped')
    .argument('<flow>', 'the flow id')
    .option('--since <since>', 'only since then: a duration (12h, 7d, 2w) or an ISO date')
    .option('--json', 'print JSON')
    .action(async (flowId: string, options: { since?: string; json?: boolean }) => (await actions()).statsCommand(flowId, options));
}
