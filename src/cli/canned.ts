import type { Command } from 'commander';
import { deleteCanned, listCanned, PLACEHOLDERS, saveCanned } from '../desk/canned.ts';
import { printJson, withDatabase } from './context.ts';

export function registerCanned(program: Command): void {
  const canned = program
    .command('canned')
    .description(
      `Canned responses agents send with one command (placeholders: ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}; a fallback: {{customer.first_name|there}})`,
    );

  canned
    .command('list')
    .description('List the canned responses')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) =>
      withDatabase(async (db) => {
        const all = await listCanned(db);
        if (options.json) return printJson(all);
        if (all.length === 0) return void process.stdout.write('no canned responses\n');
        for (const c of all) process.stdout.write(`${c.name}\t${c.text.replace(/\n/g, ' ')}\n`);
      }),
    );

  canned
    .command('add <name> <text...>')
    .description('Create or replace a canned response')
    .action(async (name: string, words: string[]) =>
      withDatabase(async (db) => {
        const saved = await saveCanned(db, name, words.join(' '));
        process.stdout.write(`saved ${saved.name}\n`);
      }),
    );

  canned
    .command('remove <name>')
    .description('Delete a canned response')
    .action(async (name: string) =>
      withDatabase(async (db) => {
        await deleteCanned(db, name);
        process.stdout.write(`removed ${name}\n`);
      }),
    );
}
