import { AgentText } from '../agent-text/agent-text.ts';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { consoleChannel } from '../../channels/console/index.ts';
import { parseSince } from '../core/duration.ts';
import { UserError } from '../core/errors.ts';
import { readFlowDirectory } from '../flows/registry.ts';
import { flowJsonSchema } from '../flows/schema.ts';
import { simulateFlow } from '../flows/simulator.ts';
import { flowStats } from '../flows/stats.ts';
import { formatProblem } from '../flows/validate.ts';
import { channels, cliConfig, cliLogger, printJson, userInput, withDatabase } from './context.ts';

export function registerFlows(program: Command): void {
  const flows = program.command('flows').description('Check, try and measure the flow files the bot runs');

  flows
    .command('validate')
    .description('Check every flow file; print each problem as file:line:column and exit 1 if there is any')
    .argument('[dir]', 'the flows directory (default PARLEY_FLOWS_DIR)')
    .action(async (dir?: string) => {
      const directory = dir ?? cliConfig().PARLEY_FLOWS_DIR;
      const result = readFlowDirectory(directory);
      for (const problem of result.problems) process.stderr.write(`${formatProblem(problem)}\n`);
      if (result.problems.length > 0) {
        process.stderr.write(`${result.problems.length} problem${result.problems.length === 1 ? '' : 's'} in ${directory}\n`);
        if (result.failedFiles.length > 0)
          process.stderr.write(`refused (Parley keeps their last good version): ${[...new Set(result.failedFiles)].join(', ')}\n`);
        process.exit(1);
      }
      process.stdout.write(`${result.flows.length} flows OK: ${result.flows.map((f) => f.flow.id).join(', ')}\n`);
    });

  flows
    .command('schema')
    .description('Print the JSON Schema of flow files (for editor autocompletion)')
    .action(async () => {
      printJson(flowJsonSchema());
    });

  flows
    .command('simulate')
    .description('Run a flow in the terminal as a customer would see it on a channel; answers are read from stdin')
    .argument('<flow>', 'the flow id')
    .option('--locale <locale>', "the customer's language", 'en')
    .option('--channel <name>', 'the channel whose rendering to show (whatsapp, sms, email, ...)', 'console')
    .option('--dir <dir>', 'the flows directory (default PARLEY_FLOWS_DIR)')
    .option('--new-customer', 'simulate a customer writing for the first time (default: a known customer)')
    .option('--live', "call the flow's webhooks for real (default: they answer 200 {} and are only shown)")
    .addHelpText(
      'after',
      '\nExamples:\n  parley flows simulate complaint --locale fa --channel sms\n  printf "2\\nThe box was crushed\\nskip\\n" | parley flows simulate complaint',
    )
    .action(async (flowId: string, options: { locale: string; channel: string; dir?: string; newCustomer?: boolean; live?: boolean }) => {
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
    });

  flows
    .command('stats')
    .description('Per step of a flow: how many entered, answered, answered wrongly, timed out or dropped')
    .argument('<flow>', 'the flow id')
    .option('--since <since>', 'only since then: a duration (12h, 7d, 2w) or an ISO date')
    .option('--json', 'print JSON')
    .action(async (flowId: string, options: { since?: string; json?: boolean }) => {
      const since = options.since === undefined ? undefined : userInput('--since', () => parseSince(options.since as string));
      await withDatabase(async (db, config) => {
        const flow = readFlowDirectory(config.PARLEY_FLOWS_DIR).flows.find((f) => f.flow.id === flowId)?.flow;
        const stats = await flowStats(db, flowId, flow, since);
        if (options.json) return printJson(stats);
        const s = stats.sessions;
        process.stdout.write(`flow ${flowId}: ${s.started} sessions (${s.active} active, ${s.completed} completed, ${s.abandoned} abandoned)\n`);
        const rows = stats.steps.map((step) => [step.stepId, ...Object.values(step.counts).map(String)]);
        const text = new AgentText(config.PARLEY_AGENT_LOCALE, config.PARLEY_AGENT_TIMEZONE);
        const columns = ['step', 'entered', 'answered', 'invalid', 'timed_out', 'dropped', 'completed'] as const;
        const header = columns.map((c) => text.t(`cli.flow_stats.${c}`));
        const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
        for (const row of [header, ...rows])
          process.stdout.write(`${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number))).join('  ')}\n`);
      });
    });
}
