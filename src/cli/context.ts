import { channels } from '../../channels/index.ts';
import { type Config, ConfigError, loadConfig } from '../config.ts';
import { UserError } from '../core/errors.ts';
import { type Database, openDatabase } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { createLogger, type Logger, type LoggerOptions } from '../logger.ts';

export { channels };

export function cliConfig(): Config {
  return loadConfig(process.env);
}

export function cliLogger(config: Config, options: Partial<LoggerOptions> = {}): Logger {
  return createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT, ...options });
}

/** Opens the configured database (migrated) for a one-shot command, and closes it after. */
export async function withDatabase<T>(fn: (db: Database, config: Config) => Promise<T>): Promise<T> {
  const config = cliConfig();
  const db = await openDatabase(config.DATABASE_URL);
  try {
    await migrate(db);
    return await fn(db, config);
  } finally {
    await db.close();
  }
}

/** Runs a command action; a user error prints its message and exits 1, without a stack. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (error) {
      if (error instanceof UserError || error instanceof ConfigError) {
        process.stderr.write(`parley: ${error.message}\n`);
        process.exit(1);
      }
      throw error;
    }
  };
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
}
