import { agentTextOf } from '../agent-text/agent-text.ts';
import { migrate } from '../db/migrate.ts';
import { plugins } from '../plugins.ts';
import { channels } from '../../channels/index.ts';
import { configRows, configTable } from './config-table.ts';
import { cliConfig } from './context.ts';
import { openReachableDatabase } from './database-check.ts';

export async function migrateCommand(): Promise<void> {
  const config = cliConfig();
  const db = await openReachableDatabase(config.DATABASE_URL);
  try {
    const { applied } = await migrate(db);
    const text = agentTextOf(config);
    const said = applied.length
      ? text.t('cli.migrate.applied', { count: applied.length, names: applied.join(', ') })
      : text.t('cli.migrate.up_to_date', { url: db.displayUrl });
    process.stdout.write(`${said}\n`);
  } finally {
    await db.close();
  }
}

export function configCommand(): void {
  process.stdout.write(configTable(configRows(channels, plugins)));
}
