import type { Command } from 'commander';

// Each action imports its module when it runs: `--help` and the other commands never load it.
const actions = () => import('./users-actions.ts');

const ROLES = 'admin|manager|marketer|agent';

export function registerUsers(program: Command): void {
  const users = program
    .command('users')
    .description(
      'Studio users (/studio): admins manage users, managers read reports, customers and tickets, marketers edit flows, agents read customers and tickets',
    );

  users
    .command('add <email>')
    .description('Create a studio user; the password is asked for (or read from stdin with --password-stdin), never given on the command line')
    .requiredOption('--role <role>', ROLES)
    .option('--password-stdin', 'read the password from the first line of stdin')
    .action(async (email: string, options: { role: string; passwordStdin?: boolean }) => (await actions()).addUserCommand(email, options));

  users
    .command('list')
    .description('List the studio users')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => (await actions()).listUsersCommand(options));

  users
    .command('remove <email>')
    .description('Delete a studio user (their sessions end)')
    .action(async (email: string) => (await actions()).removeUserCommand(email));

  users
    .command('passwd <email>')
    .description("Set a studio user's password (their sessions end)")
    .option('--password-stdin', 'read the password from the first line of stdin')
    .action(async (email: string, options: { passwordStdin?: boolean }) => (await actions()).passwdCommand(email, options));
}
