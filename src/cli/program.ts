import { Command, CommanderError } from 'commander';
import { registerAdmin } from './admin.ts';
import { registerCanned } from './canned.ts';
import { registerChat } from './chat.ts';
import { registerConversations, registerCustomers } from './crm.ts';
import { registerDoctor } from './doctor.ts';
import { loadDotEnv } from './dotenv.ts';
import { EXIT_USAGE } from './exit-codes.ts';
import { registerFlows } from './flows.ts';
import { registerQueue } from './queue.ts';
import { registerRouting } from './routing.ts';
import { registerStart } from './start.ts';
import { registerUsers } from './users.ts';
import { version } from '../version.ts';

/** The `parley` command line; a fresh one each call (tests run several in one process). */
export function buildProgram(): Command {
  const program = new Command()
    .name('parley')
    .description('Parley: an omnichannel helpdesk bot (WhatsApp, email and SMS in; agents on Slack; flows in between)')
    .version(version)
    .option('--debug', 'print the stack trace of an error')
    .showHelpAfterError()
    .exitOverride();
  registerStart(program);
  registerChat(program);
  registerDoctor(program);
  registerAdmin(program);
  registerCustomers(program);
  registerConversations(program);
  registerQueue(program);
  registerFlows(program);
  registerCanned(program);
  registerUsers(program);

  registerRouting(program);
  // exitOverride is not inherited: each subcommand must throw too instead of exiting.
  const override = (command: Command) => {
    command.exitOverride();
    command.commands.forEach(override);
  };
  override(program);
  return program;
}

/** Runs one command line; resolves to the exit code (0 also while a started server keeps running). */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    loadDotEnv(process.env);
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    // --help, --version or a usage error: commander has printed what there is to say.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
    // The explanations of other errors know the settings (and load them): only now.
    const { reportError } = await import('./errors.ts');
    return reportError(error, Boolean(program.opts().debug) || argv.includes('--debug'), (text) => process.stderr.write(text));
  }
}
