import { type Config, loadConfig } from '../config.ts';
import { UserError } from '../core/errors.ts';
import type { Database } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { openReachableDatabase } from './database-check.ts';
import { createLogger, type Logger, type LoggerOptions } from '../logger.ts';

export function cliConfig(): Config {
  return loadConfig(process.env);
}

export function cliLogger(config: Config, options: Partial<LoggerOptions> = {}): Logger {
  return createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT, ...options });
}

/** Opens the configured database (migrated) for a one-shot command, and closes it after. */
export async function withDatabase<T>(fn: (db: Database, config: Config) => Promise<T>): Promise<T> {
  const config = cliConfig();
  const db = await openReachableDatabase(config.DATABASE_URL);
  try {
    await migrate(db);
    return await fn(db, config);
  } finally {
    await db.close();
  }
}

/** Runs a parser of user input; its complaint becomes a user error that names the input (`--since: ...`). */
export function userInput<T>(where: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UserError(`${where}: ${(error as Error).message}`);
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
}
