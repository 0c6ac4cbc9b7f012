import type { Command } from 'commander';
import type { ChatOptions } from './chat-action.ts';

export function registerChat(program: Command): void {
  program
    .command('chat')
    .description('Talk to Parley as a customer: each stdin line goes through the real pipeline, every reply is printed')
    .requiredOption('--from <address>', 'the customer address (phone, email or any id)')
    .option('--channel <name>', 'the channel to stand in for (replies are rendered as that channel can)', 'console')
    .option('--name <name>', "the customer's display name")
    .option('--timeout <duration>', 'how long to wait for replies after the input ends (30s, 2m)', '30s')
    .addHelpText('after', '\nExamples:\n  parley chat --from "+98 912 123 4567"\n  echo "سلام" | parley chat --from ali@example.com --channel email')
    .action(async (options: ChatOptions) => (await import('./chat-action.ts')).chatCommand(options));
}
