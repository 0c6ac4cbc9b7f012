import { settings } from '../config.ts';
import { migrate } from '../db/migrate.ts';
import { plugins } from '../plugins.ts';
import { channels } from '../../channels/index.ts';
import { cliConfig } from './context.ts';
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

export async function migrateCommand(): Promise<void> {
  const config = cliConfig();
  const db = await openReachableDatabase(config.DATABASE_URL);
  try {
    const { applied } = await migrate(db);
    process.stdout.write(applied.length ? `applied ${applied.length}: ${applied.join(', ')}\n` : `${db.displayUrl} is up to date\n`);
  } finally {
    await db.close();
  }
}

export function configCommand(): void {
  process.stdout.write(configTable());
}
