import { contactPolicyFrom } from '../contact/policy-config.ts';
import { TemplateRegistry } from '../contact/templates.ts';
import { formatDuration } from '../core/duration.ts';
import { UserError } from '../core/errors.ts';
import { cliConfig, printJson } from './context.ts';

function templatesFile(file: string | undefined): string {
  const path = file ?? cliConfig().PARLEY_TEMPLATES_FILE;
  if (!path) throw new UserError('no templates file: pass one or set PARLEY_TEMPLATES_FILE (an example: examples/templates.yaml)');
  return path;
}

const formatOf = (format: string): 'table' | 'json' => {
  if (format !== 'table' && format !== 'json') throw new UserError(`--format: "${format}" is not table or json`);
  return format;
};

function printRows(rows: string[][]): void {
  const widths = rows[0]!.map((_c, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows) process.stdout.write(`${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')}\n`);
}

export async function listTemplatesCommand(options: { file?: string; format: string }): Promise<void> {
  const format = formatOf(options.format);
  const templates = TemplateRegistry.load(templatesFile(options.file)).list();
  if (format === 'json') return printJson(templates);
  printRows([
    ['NAME', 'PURPOSE', 'CATEGORY', 'LANGUAGES', 'VARIABLES'],
    ...templates.map((t) => [
      t.name,
      t.purpose,
      t.category,
      Object.keys(t.languages).join(','),
      t.variables.map((v, i) => `{{${i + 1}}}=${v}`).join(' ') || '-',
    ]),
  ]);
}

export async function checkTemplatesCommand(file: string | undefined): Promise<void> {
  const path = templatesFile(file);
  const templates = TemplateRegistry.load(path).list();
  const variants = templates.reduce((n, t) => n + Object.keys(t.languages).length, 0);
  process.stdout.write(`ok: ${path}: ${templates.length} templates, ${variants} language variants\n`);
}

export async function showContactPolicyCommand(options: { format: string }): Promise<void> {
  const format = formatOf(options.format);
  const policy = contactPolicyFrom(cliConfig());
  if (format === 'json') return printJson(policy);
  const cap = (c: { max: number; withinMs: number }) => `${c.max} per ${formatDuration(c.withinMs)}`;
  printRows([
    ['overall', cap(policy.overall), 'PARLEY_CONTACT_CAP (every kind, every channel)'],
    ...Object.entries(policy.perKind).map(([kind, c]) => [kind, cap(c), `PARLEY_${kind.toUpperCase()}_CONTACT_CAP`]),
    ...Object.entries(policy.perChannel).map(([channel, c]) => [`channel ${channel}`, cap(c), 'PARLEY_CHANNEL_CONTACT_CAPS']),
    ['skip busy', policy.skipBusy.join(',') || 'none', 'PARLEY_CONTACT_SKIP_BUSY (open conversation or open complaint)'],
    ['mid-flow for', formatDuration(policy.midFlowWithinMs), 'PARLEY_REOPEN_WINDOW (a flow that moved within it is an open conversation)'],
    ['consent', policy.consentChannels.join(',') || 'none', 'PARLEY_CONSENT_CHANNELS (campaigns there need the customer to have written first)'],
  ]);
}
