import type { Command } from 'commander';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description("Check the settings, the database and each configured channel's credentials; say what is wrong")
    .action(async () => (await import('./doctor-action.ts')).doctorCommand());
}
