import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { bundleOptions } from '../scripts/build.js';

const run = promisify(execFile);

/** What loading one output file loads too: the chunks and packages it imports statically, transitively. */
function staticClosure(metafile: Metafile, output: string): { packages: Set<string>; sources: Set<string> } {
  const packages = new Set<string>();
  const sources = new Set<string>();
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    const file = metafile.outputs[path];
    if (!file) throw new Error(`${path} is not an output of the build`);
    for (const source of Object.keys(file.inputs)) sources.add(source);
    for (const imported of file.imports) {
      if (imported.kind !== 'import-statement') continue;
      if (imported.external) {
        if (!imported.path.startsWith('node:')) packages.add(imported.path.match(/^(@[^/]+\/)?[^/]+/)?.[0] ?? imported.path);
      } else visit(imported.path);
    }
  };
  visit(output);
  return { packages, sources };
}

describe('the compiled command line loads only what a command uses', () => {
  it('--help and the command declarations load commander and no runtime, database, Prisma client or channel', async () => {
    const { metafile } = await build({ ...bundleOptions, write: false });
    if (!metafile) throw new Error('esbuild returned no metafile');
    const entry = Object.keys(metafile.outputs).find((path) => metafile.outputs[path]?.entryPoint === 'src/cli/main.ts') as string;
    const { packages, sources } = staticClosure(metafile, entry);
    // uuidv7: the canned-response placeholders' module makes ids; it is small and has no dependencies.
    expect([...packages].sort()).toEqual(['commander', 'uuidv7']);
    const heavy = [...sources].filter((s) => /^(channels\/|src\/db\/|src\/runtime\.ts|src\/server\/|src\/generated\/\w+\/client\.ts|src\/config\.ts)/.test(s));
    expect(heavy).toEqual([]);
    // Each command's code is a chunk of its own, imported when the command runs.
    const dynamic = new Set(metafile.outputs[entry]?.imports.filter((i) => i.kind === 'dynamic-import').map((i) => metafile.outputs[i.path]?.entryPoint));
    for (const module of [
      'start-action',
      'chat-action',
      'doctor-action',
      'admin-actions',
      'crm-actions',
      'flows-actions',
      'routing-actions',
      'canned-actions',
      'users-actions',
    ])
      expect(dynamic, module).toContain(`src/cli/${module}.ts`);
  }, 120_000);

  it('start loads no Slack SDK (until the desk starts), no PostgreSQL driver on SQLite, no pretty-printer for JSON logs', async () => {
    const { metafile } = await build({ ...bundleOptions, write: false });
    if (!metafile) throw new Error('esbuild returned no metafile');
    const start = Object.keys(metafile.outputs).find((path) => metafile.outputs[path]?.entryPoint === 'src/cli/start-action.ts') as string;
    const { packages, sources } = staticClosure(metafile, start);
    expect([...packages].filter((p) => p.startsWith('@slack/') || ['pg', '@prisma/adapter-pg', 'pino-pretty'].includes(p))).toEqual([]);
    expect([...sources].filter((s) => s === 'src/desk/slack/plugin.ts' || s.startsWith('src/generated/postgres/'))).toEqual([]);
    // Bolt is still in the build, for the desk to load.
    expect(Object.values(metafile.inputs).some((input) => input.imports.some((i) => i.path === '@slack/bolt'))).toBe(true);
  }, 120_000);

  it('bin/parley.js runs the compiled build: --help and --version', async () => {
    const help = await run(process.execPath, ['bin/parley.js', '--help']);
    expect(help.stdout).toMatch(/^Usage: parley \[options\] \[command\]/);
    expect(help.stdout).toMatch(/^ {2}start +Run Parley/m);
    const { version } = (await import('../package.json', { with: { type: 'json' } })).default;
    expect((await run(process.execPath, ['bin/parley.js', '--version'])).stdout.trim()).toBe(version);
  }, 120_000);
});
