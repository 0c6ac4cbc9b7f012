import type { Command } from 'commander';
import { withoutYoungGenerationGrowth } from './lean-memory.ts';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('Run Parley: migrate the database, start the configured channels, the workers and the HTTP server')
    .action(() => withoutYoungGenerationGrowth(async () => (await import('./start-action.ts')).startCommand()));
}
