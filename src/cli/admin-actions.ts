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
    process.stdout.write(applied.length ? `applied ${applied.length}: ${applied.join(', ')}\n` : `${db.displayUrl} is up to date\n`);
  } finally {
    await db.close();
  }
}

export function configCommand(): void {
  process.stdout.write(configTable(configRows(channels, plugins)));
}
