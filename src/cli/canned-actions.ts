import { deleteCanned, listCanned, saveCanned } from '../desk/canned.ts';
import { agentTextOf } from '../agent-text/agent-text.ts';
import { printJson, withDatabase } from './context.ts';

export async function listCannedCommand(options: { json?: boolean }): Promise<void> {
  await withDatabase(async (db, config) => {
    const all = await listCanned(db);
    if (options.json) return printJson(all);
    if (all.length === 0) return void process.stdout.write(`${agentTextOf(config).t('cli.canned.none')}\n`);
    for (const c of all) process.stdout.write(`${c.name}\t${c.text.replace(/\n/g, ' ')}\n`);
  });
}

export async function addCannedCommand(name: string, words: string[]): Promise<void> {
  await withDatabase(async (db, config) => {
    const saved = await saveCanned(db, name, words.join(' '));
    process.stdout.write(`${agentTextOf(config).t('cli.canned.saved', { name: saved.name })}\n`);
  });
}

export async function removeCannedCommand(name: string): Promise<void> {
  await withDatabase(async (db, config) => {
    await deleteCanned(db, name);
    process.stdout.write(`${agentTextOf(config).t('cli.canned.removed', { name })}\n`);
  });
}
