import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { addCampaign, cancelCampaign, listCampaigns, pauseCampaign, resumeCampaign, startCampaign } from '../campaigns/campaigns.ts';
import { campaignResults, resultRows, resultsCsv } from '../campaigns/results.ts';
import { SegmentFilterSchema } from '../campaigns/segment-filter.ts';
import { addSegment, getSegment, listSegments, previewSegment } from '../campaigns/segments.ts';
import { UserError } from '../core/errors.ts';
import { readFlowDirectory } from '../flows/registry.ts';
import { formatZodIssues } from '../pipeline/inbox.ts';
import { printJson, userInput, withDatabase } from './context.ts';

/** JSON or YAML given inline, or `@path` of a file holding it. */
function readDocument(where: string, text: string): unknown {
  return userInput(where, () => parseYaml(text.startsWith('@') ? readFileSync(text.slice(1), 'utf8') : text) as unknown);
}

export async function addSegmentCommand(name: string, options: { filter: string; description?: string }): Promise<void> {
  const filter = readDocument('--filter', options.filter);
  await withDatabase(async (db) => {
    const saved = await addSegment(db, { name, description: options.description, filter }, 'cli');
    const { count } = await previewSegment(db, saved.filter, new Date());
    process.stdout.write(`saved segment ${saved.name} (${count} customers now)\n`);
  });
}

export async function listSegmentsCommand(options: { json?: boolean }): Promise<void> {
  await withDatabase(async (db) => {
    const all = await listSegments(db);
    if (options.json) return printJson(all);
    if (all.length === 0) return void process.stdout.write('no segments\n');
    for (const s of all) process.stdout.write(`${s.name}\t${JSON.stringify(s.filter)}${s.description ? `\t${s.description}` : ''}\n`);
  });
}

export async function previewSegmentCommand(name: string | undefined, options: { filter?: string; json?: boolean }): Promise<void> {
  if (!name === !options.filter) throw new UserError('give a segment name or --filter');
  await withDatabase(async (db) => {
    let filter;
    if (options.filter) {
      const parsed = SegmentFilterSchema.safeParse(readDocument('--filter', options.filter));
      if (!parsed.success) throw new UserError(`--filter: ${formatZodIssues(parsed.error)}`);
      filter = parsed.data;
    } else filter = (await getSegment(db, name as string)).filter;
    const preview = await previewSegment(db, filter, new Date());
    if (options.json) return printJson(preview);
    process.stdout.write(`${preview.count} customers\n`);
    for (const c of preview.sample) process.stdout.write(`${c.id}\t${c.name ?? ''}\t${c.locale ?? ''}\t${c.lifecycleStage}\t${c.lastSeenAt.toISOString()}\n`);
  });
}

export async function addCampaignCommand(file: string): Promise<void> {
  const input = readDocument(file, `@${file}`);
  await withDatabase(async (db, config) => {
    const flows = new Set(readFlowDirectory(config.PARLEY_FLOWS_DIR).flows.map((f) => f.flow.id));
    const saved = await addCampaign(db, input, (id) => flows.has(id), 'cli');
    process.stdout.write(`saved campaign ${saved.name} (draft; start it with: parley campaigns start "${saved.name}")\n`);
  });
}

export async function listCampaignsCommand(options: { json?: boolean }): Promise<void> {
  await withDatabase(async (db) => {
    const all = await listCampaigns(db);
    if (options.json) return printJson(all);
    if (all.length === 0) return void process.stdout.write('no campaigns\n');
    for (const c of all)
      process.stdout.write(`${c.name}\t${c.spec.kind}\t${c.status}\trun ${c.run}\t${c.variants.map((v) => `${v.name}:${v.flowId ?? 'message'}`).join(' ')}\n`);
  });
}

const CHANGES = { start: startCampaign, pause: pauseCampaign, resume: resumeCampaign, cancel: cancelCampaign } as const;

export async function changeCampaignCommand(change: keyof typeof CHANGES, idOrName: string): Promise<void> {
  await withDatabase(async (db) => {
    const campaign = await CHANGES[change](db, idOrName, 'cli', new Date());
    process.stdout.write(`campaign ${campaign.name} is ${campaign.status}\n`);
  });
}

export async function campaignStatusCommand(idOrName: string, options: { format: string }): Promise<void> {
  if (!['table', 'csv', 'json'].includes(options.format)) throw new UserError(`--format "${options.format}" is not one of table, csv, json`);
  await withDatabase(async (db) => {
    const results = await campaignResults(db, idOrName);
    if (options.format === 'json') return printJson(results);
    if (options.format === 'csv') return void process.stdout.write(resultsCsv(results));
    process.stdout.write(`${results.campaign} (${results.status})${results.goal ? `, goal: ${results.goal.type} within ${results.goal.within}` : ''}\n`);
    for (const [variant, metric, detail, count] of resultRows(results))
      process.stdout.write(`  ${variant.padEnd(8)} ${`${metric}${detail ? ` ${detail}` : ''}`.padEnd(40)} ${count}\n`);
  });
}
