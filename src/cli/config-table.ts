import { settings } from '../config.ts';
import type { ChannelDefinition, ChannelSetting } from '../core/channel.ts';
import type { PluginDefinition } from '../core/plugin.ts';
import { settingDocs } from '../core/settings.ts';

/** One row of the configuration table: a variable and whose it is (undefined: the core's). */
export interface ConfigRow extends ChannelSetting {
  readonly owner?: string;
}

/** Every variable Parley reads: the core's, then each channel's settings schema, then each plugin's. */
export function configRows(channels: readonly ChannelDefinition[], plugins: readonly PluginDefinition[]): ConfigRow[] {
  return [
    ...Object.entries(settings).map(([env, s]) => ({ env, description: s.description, example: s.example, ...('default' in s ? { default: s.default } : {}) })),
    ...channels.flatMap((c) => settingDocs(c.settings).map((doc) => ({ ...doc, owner: c.name }))),
    ...plugins.flatMap((p) => p.settings.map((doc) => ({ ...doc, owner: p.name }))),
  ];
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

/** The configuration table as the README shows it (prettier aligns the columns there). */
export function configTable(rows: readonly ConfigRow[]): string {
  const lines = [
    '| Variable | Default | Example | What it does |',
    '| --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| \`${r.env}\` | ${r.default !== undefined ? `\`${cell(r.default)}\`` : '(unset)'} | \`${cell(r.example)}\` | ${r.owner ? `${r.owner}: ` : ''}${cell(r.description)} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

/** The README with its configuration table (the first table under "## Configuration") replaced by `table`. */
export function withConfigTable(readme: string, table: string): string {
  const section = readme.indexOf('\n## Configuration\n');
  if (section < 0) throw new Error('README.md has no "## Configuration" section');
  const start = readme.indexOf('\n|', section) + 1;
  const next = readme.indexOf('\n## ', section + 1);
  if (start === 0 || (next >= 0 && start > next)) throw new Error('the Configuration section of README.md has no table');
  let end = start;
  while (readme.startsWith('|', end)) end = readme.indexOf('\n', end) + 1;
  return `${readme.slice(0, start)}${table}${readme.slice(end)}`;
}
