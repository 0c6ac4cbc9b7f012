import type { Command } from 'commander';

// Each action imports its module when it runs: `--help` and the other commands never load it.
const actions = () => import('./campaigns-actions.ts');

export function registerSegments(program: Command): void {
  const segments = program.command('segments').description('Saved, named filters over customers that campaigns are sent to (README: Campaigns)');

  segments
    .command('add <name>')
    .description('Save a segment')
    .requiredOption('--filter <json|@file>', 'the filter as JSON or YAML, or @path of a file holding it (e.g. {"tags":{"any":["vip"]},"locale":["fa"]})')
    .option('--description <text>', 'what the segment is for')
    .action(async (name: string, options: { filter: string; description?: string }) => (await actions()).addSegmentCommand(name, options));

  segments
    .command('list')
    .description('List the segments')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => (await actions()).listSegmentsCommand(options));

  segments
    .command('preview [name]')
    .description('How many customers a segment (or --filter) finds now, and 10 of them')
    .option('--filter <json|@file>', 'preview a filter without saving it')
    .option('--json', 'print JSON')
    .action(async (name: string | undefined, options: { filter?: string; json?: boolean }) => (await actions()).previewSegmentCommand(name, options));
}

export function registerCampaigns(program: Command): void {
  const campaigns = program
    .command('campaigns')
    .description("Send a flow or a message to a segment at each customer's local time, within the contact policy (README: Campaigns)");

  campaigns
    .command('add <file>')
    .description('Save a campaign (a draft) from a YAML or JSON file; examples/campaigns/ has some')
    .action(async (file: string) => (await actions()).addCampaignCommand(file));

  campaigns
    .command('list')
    .description('List the campaigns with their status')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => (await actions()).listCampaignsCommand(options));

  for (const [name, description] of [
    ['start', 'Start a draft campaign (a running Parley sends it)'],
    ['pause', 'Hold the sends of a running campaign'],
    ['resume', 'Go on with a paused campaign'],
    ['cancel', 'Stop a campaign for good: who still waits is skipped'],
  ] as const) {
    campaigns
      .command(`${name} <campaign>`)
      .description(description)
      .action(async (campaign: string) => (await actions()).changeCampaignCommand(name, campaign));
  }

  campaigns
    .command('status <campaign>')
    .description('Results per variant: targeted, skipped by reason, sent, delivered, read, replied, completed, goal, opted out, failed')
    .option('--format <format>', 'table, csv or json', 'table')
    .action(async (campaign: string, options: { format: string }) => (await actions()).campaignStatusCommand(campaign, options));
}
