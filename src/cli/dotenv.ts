import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { UserError } from '../core/errors.ts';

/**
 * Loads settings from a `.env` file in the current directory (or the file PARLEY_ENV_FILE names)
 * into `env`. The real environment wins: a variable already set is never replaced, so
 * `PORT=4000 parley start` overrides the file. No file: nothing happens (unless
 * PARLEY_ENV_FILE names one). Returns the names it set.
 */
export function loadDotEnv(env: Record<string, string | undefined>, cwd: string = process.cwd()): string[] {
  const named = env.PARLEY_ENV_FILE;
  const path = resolve(cwd, named ?? '.env');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !named) return [];
    throw new UserError(`PARLEY_ENV_FILE: cannot read ${path}: ${(error as Error).message}`);
  }
  const set: string[] = [];
  for (const [name, value] of Object.entries(parseEnv(text))) {
    if (env[name] !== undefined) continue;
    env[name] = value;
    set.push(name);
  }
  return set;
}
