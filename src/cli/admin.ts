import type { Command } from 'commander';
import { migrate } from '../db/migrate.ts';
import { plugins } from '../plugins.ts';
import { channelStatus } from '../core/channel.ts';
import { configRows, configTable } from './config-table.ts';
import { channels, cliConfig } from './context.ts';
import { openReachableDatabase } from './database-check.ts';

export function registerAdmin(program: Command): void {
  program
    .command('migrate')
    .description('Apply database migrations (also done at start); safe to run again')
    .action(async () => {
      const config = cliConfig();
      const db = await openReachableDatabase(config.DATABASE_URL);
      try {
        const { applied } = await migrate(db);
        process.stdout.write(applied.length ? `applied ${applied.length}: ${applied.join(', ')}\n` : `${db.displayUrl} is up to date\n`);
      } finally {
        await db.close();
      }
    });

  program
    .command('config')
    .description('Print every environment variable Parley reads, its default and an example')
    .action(async () => void process.stdout.write(configTable(configRows(channels, plugins))));

  program
    .command('channels')
    .description('List the channels, whether each is on, and how to turn it on')
    .action(async () => {
      const env = process.env;
      // From the settings alone: no channel's SDK is loaded.
      for (const definition of channels) {
        const status = channelStatus(definition, env);
        process.stdout.write(`${definition.name.padEnd(12)} ${status.state === 'on' ? 'on' : `${status.state} — ${status.detail}`}\n`);
      }
      for (const definition of plugins) {
        let state: string;
        try {
          const created = definition.create(env);
          state = 'off' in created ? `off — ${created.off}` : 'on';
        } catch (error) {
          state = `misconfigured — ${(error as Error).message}`;
        }
        process.stdout.write(`${definition.name.padEnd(12)} ${state}\n`);
      }
    });
}
