import { agentTextOf } from '../agent-text/agent-text.ts';
import { createInterface } from 'node:readline';
import { consoleChannel } from '../../channels/console/index.ts';
import { parseSince } from '../core/duration.ts';
import { UserError } from '../core/errors.ts';
import { readFlowDirectory } from '../flows/registry.ts';
import { flowJsonSchema } from '../flows/schema.ts';
import { simulateFlow } from '../flows/simulator.ts';
import { flowStats } from '../flows/stats.ts';
import { formatProblem } from '../flows/validate.ts';
import { channels } from '../../channels/index.ts';
import { cliConfig, cliLogger, printJson, userInput, withDatabase } from './context.ts';

export interface SimulateOptions {
  readonly locale: string;
  readonly channel: string;
  readonly dir?: string;
  readonly newCustomer?: boolean;
  readonly live?: boolean;
}

export async function validateCommand(dir?: string): Promise<void> {
  const directory = dir ?? cliConfig().PARLEY_FLOWS_DIR;
  const result = readFlowDirectory(directory);
  for (const problem of result.problems) process.stderr.write(`${formatProblem(problem)}\n`);
  if (result.problems.length > 0) {
    process.stderr.write(`${result.problems.length} problem${result.problems.length === 1 ? '' : 's'} in ${directory}\n`);
    if (result.failedFiles.length > 0) process.stderr.write(`refused (Parley keeps their last good version): ${[...new Set(result.failedFiles)].join(', ')}\n`);
    process.exit(1);
  }
  process.stdout.write(`${result.flows.length} flows OK: ${result.flows.map((f) => f.flow.id).join(', ')}\n`);
}

export async function schemaCommand(): Promise<void> {
  printJson(flowJsonSchema());
}

export async function simulateCommand(flowId: string, options: SimulateOptions): Promise<void> {
  const config = cliConfig();
  const logger = cliLogger(config, { fd: 2, level: process.env.LOG_LEVEL ?? 'warn' });
  const directory = options.dir ?? config.PARLEY_FLOWS_DIR;
  const result = readFlowDirectory(directory);
  for (const problem of result.problems) process.stderr.write(`${formatProblem(problem)}\n`);
  if (!result.flows.some((f) => f.flow.id === flowId))
    throw new UserError(`no valid flow "${flowId}" in ${directory} (flows: ${result.flows.map((f) => f.flow.id).join(', ') || 'none'})`);
  const definition = channels.find((c) => c.name === options.channel);
  if (!definition && options.channel !== 'console')
    throw new UserError(`--channel: unknown channel "${options.channel}" (channels: ${channels.map((c) => c.name).join(', ')})`);
  const capabilities = definition?.capabilities ?? consoleChannel.capabilities;

  const interactive = Boolean(process.stdin.isTTY);
  // Created at the first read: readline drops lines that arrive before iteration starts.
  let lines: ReturnType<typeof createInterface> | undefined;
  async function* answers() {
    lines = createInterface({ input: process.stdin, terminal: false });
    for await (const line of lines) {
      if (!interactive) process.stdout.write(`> ${line}\n`);
      yield line;
    }
  }
  const outcome = await simulateFlow(
    {
      config,
      logger,
      channels,
      dir: directory,
      flowId,
      locale: options.locale,
      channel: options.channel,
      capabilities,
      newCustomer: options.newCustomer,
      live: options.live,
      onWebhook: (method, url) => process.stdout.write(`(webhook ${method} ${url}: not called in a simulation; --live calls it)\n`),
      print: (shown) => process.stdout.write(`${shown}\n${interactive ? '> ' : ''}`),
    },
    answers(),
  );
  lines?.close();
  process.stdout.write(
    `\n-- flow ${outcome.flowId ?? flowId} ${outcome.sessionStatus ?? 'not started'} at step "${outcome.stepId ?? '?'}"; conversation ${outcome.conversationStatus}` +
      `${outcome.team ? ` (team ${outcome.team}, priority ${outcome.priority})` : ''}` +
      `${outcome.tickets.length ? `; tickets ${outcome.tickets.map((t) => `${t.ref} [${t.kind}${t.category ? `/${t.category}` : ''}]`).join(', ')}` : ''}\n`,
  );
}

export async function statsCommand(flowId: string, options: { since?: string; json?: boolean }): Promise<void> {
  const since = options.since === undefined ? undefined : userInput('--since', () => parseSince(options.since as string));
  await withDatabase(async (db, config) => {
    const flow = readFlowDirectory(config.PARLEY_FLOWS_DIR).flows.find((f) => f.flow.id === flowId)?.flow;
    const stats = await flowStats(db, flowId, flow, since);
    if (options.json) return printJson(stats);
    const s = stats.sessions;
    process.stdout.write(`flow ${flowId}: ${s.started} sessions (${s.active} active, ${s.completed} completed, ${s.abandoned} abandoned)\n`);
    const rows = stats.steps.map((step) => [step.stepId, ...Object.values(step.counts).map(String)]);
    const text = agentTextOf(config);
    const columns = ['step', 'entered', 'answered', 'invalid', 'timed_out', 'dropped', 'completed'] as const;
    const header = columns.map((c) => text.t(`cli.flow_stats.${c}`));
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
    for (const row of [header, ...rows])
      process.stdout.write(`${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number))).join('  ')}\n`);
  });
}
