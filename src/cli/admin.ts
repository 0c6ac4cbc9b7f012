import type { Command } from 'commander';
import { settings } from '../config.ts';
import { migrate } from '../db/migrate.ts';
import { plugins } from '../plugins.ts';
import { channels, cliConfig } from './context.ts';
import { openReachableDatabase } from './database-check.ts';

/** The configuration table, as README.md shows it. */
export function configTable(): string {
  const rows = [
    '| Variable | Default | Example | What it does |',
    '| --- | --- | --- | --- |',
    ...Object.entries(settings).map(
      ([name, s]) => `| \`${name}\` | ${'default' in s ? `\`${s.default}\`` : '(unset)'} | \`${s.example}\` | ${s.description} |`,
    ),
    ...channels.flatMap((c) =>
      c.settings.map((s) => `| \`${s.env}\` | ${s.default ? `\`${s.default}\`` : '(unset)'} | \`${s.example}\` | ${c.name}: ${s.description} |`),
    ),
    ...plugins.flatMap((p) =>
      p.settings.map((s) => `| \`${s.env}\` | ${s.default ? `\`${s.default}\`` : '(unset)'} | \`${s.example}\` | ${p.name}: ${s.description} |`),
    ),
  ];
  return `${rows.join('\n')}\n`;
}

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
    .action(async () => void process.stdout.write(configTable()));

  program
    .command('channels')
    .description('List the channels, whether each is on, and how to turn it on')
    .action(async () => {
      const env = process.env;
      for (const definition of channels) {
        const created = definition.create(env);
        const state = 'off' in created ? `off — ${created.off}` : 'on';
        process.stdout.write(`${definition.name.padEnd(12)} ${state}\n`);
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
