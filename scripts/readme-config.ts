// Writes the README's configuration table from the settings (core, channels, plugins):
// node bin/run-ts.js scripts/readme-config.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { format, resolveConfig } from 'prettier';
import { channels } from '../channels/index.ts';
import { configRows, configTable, withConfigTable } from '../src/cli/config-table.ts';
import { plugins } from '../src/plugins.ts';

const path = new URL('../README.md', import.meta.url);
const readme = readFileSync(path, 'utf8');
const updated = await format(withConfigTable(readme, configTable(configRows(channels, plugins))), {
  ...(await resolveConfig(path.pathname)),
  parser: 'markdown',
});
writeFileSync(path, updated);
process.stdout.write(updated === readme ? 'README.md: the configuration table was up to date\n' : 'README.md: configuration table rewritten\n');
