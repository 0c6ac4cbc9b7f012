import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { ConsoleAdapter, consoleChannel } from '../../channels/console/index.ts';
import type { OutboundMessage } from '../core/message.ts';
import { UserError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { openDatabase } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { FlowRegistry, readFlowDirectory } from '../flows/registry.ts';
import { flowJsonSchema } from '../flows/schema.ts';
import { flowStats } from '../flows/stats.ts';
import { formatProblem } from '../flows/validate.ts';
import { Parley } from '../runtime.ts';
import { action, channels, cliConfig, cliLogger, printJson, withDatabase } from './context.ts';

export function registerFlows(program: Command): void {
  const flows = program.command('flows').description('Check, try and measure the flow files the bot runs');

  flows
    .command('validate')
    .description('Check every flow file; print each problem as file:line:column and exit 1 if there is any')
    .argument('[dir]', 'the flows directory (default PARLEY_FLOWS_DIR)')
    .action(
      action(async (dir?: string) => {
        const directory = dir ?? cliConfig().PARLEY_FLOWS_DIR;
        const result = readFlowDirectory(directory);
        for (const problem of result.problems) process.stderr.write(`${formatProblem(problem)}\n`);
        if (result.problems.length > 0) {
          process.stderr.write(`${result.problems.length} problem${result.problems.length === 1 ? '' : 's'} in ${directory}\n`);
          process.exit(1);
        }
        process.stdout.write(`${result.flows.length} flows OK: ${result.flows.map((f) => f.flow.id).join(', ')}\n`);
      }),
    );

  flows
    .command('schema')
    .description('Print the JSON Schema of flow files (for editor autocompletion)')
    .action(
      action(async () => {
        printJson(flowJsonSchema());
      }),
    );

  flows
    .command('simulate')
    .description('Run a flow in the terminal as a customer would see it on a channel; answers are read from stdin')
    .argument('<flow>', 'the flow id')
    .option('--locale <locale>', "the customer's language", 'en')
    .option('--channel <name>', 'the channel whose rendering to show (whatsapp, sms, email, ...)', 'console')
    .option('--dir <dir>', 'the flows directory (default PARLEY_FLOWS_DIR)')
    .option('--new-customer', 'simulate a customer writing for the first time (default: a known customer)')
    .addHelpText(
      'after',
      '\nExamples:\n  parley flows simulate complaint --locale fa --channel sms\n  printf "2\\nThe box was crushed\\nskip\\n" | parley flows simulate complaint',
    )
    .action(
      action(async (flowId: string, options: { locale: string; channel: string; dir?: string; newCustomer?: boolean }) => {
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

        const scratch = mkdtempSync(join(tmpdir(), 'parley-simulate-'));
        const db = await openDatabase(`file:${join(scratch, 'simulate.db')}`);
        await migrate(db);
        const registry = new FlowRegistry(directory, db, logger);
        await registry.reload();
        const interactive = Boolean(process.stdin.isTTY);
        const adapter = new ConsoleAdapter(options.channel, capabilities, (_text, message) =>
          process.stdout.write(`${renderAsSeen(message)}\n${interactive ? '> ' : ''}`),
        );
        const parley = await Parley.open({
          config: { ...config, PARLEY_POLL_INTERVAL: 10 },
          logger,
          channels,
          adapters: [adapter],
          database: db,
          flows: registry,
        });
        try {
          await parley.start();
          const address = 'simulator';
          const customerId = newId();
          const conversationId = newId();
          const now = new Date();
          await db.write(async (tx) => {
            await tx.customer.create({ data: { id: customerId, name: options.newCustomer ? null : 'Sam', locale: options.locale, attributes: {}, tags: [] } });
            const identity = await tx.channelIdentity.create({ data: { id: newId(), customerId, channel: options.channel, address } });
            await tx.conversation.create({ data: { id: conversationId, customerId, identityId: identity.id, channel: options.channel } });
            await parley.events.emit(tx, [{ type: 'flow.start_requested', conversationId, customerId, flowId, by: 'api' }], now);
          });
          parley.jobs.notify();
          await idle(parley);
          const lines = createInterface({ input: process.stdin, terminal: false });
          for await (const line of lines) {
            if (!(await sessionActive(parley, conversationId))) break;
            if (!line.trim()) continue;
            if (!interactive) process.stdout.write(`> ${line}\n`);
            await parley.inbox.accept({
              channel: options.channel,
              externalId: `sim-${newId()}`,
              sender: { address, addressKind: 'opaque' },
              text: line,
              raw: { line },
            });
            await idle(parley);
          }
          const conversation = await db.prisma.conversation.findUniqueOrThrow({ where: { id: conversationId }, include: { team: true } });
          const session = await db.prisma.flowSession.findFirst({ where: { conversationId }, orderBy: { createdAt: 'desc' } });
          const tickets = await db.prisma.ticket.findMany({ where: { conversationId } });
          process.stdout.write(
            `\n-- flow ${session?.flowId ?? flowId} ${session?.status ?? 'not started'} at step "${session?.stepId ?? '?'}"; conversation ${conversation.status}` +
              `${conversation.team ? ` (team ${conversation.team.name}, priority ${conversation.priority})` : ''}` +
              `${tickets.length ? `; tickets ${tickets.map((t) => `${t.ref} [${t.kind}${t.category ? `/${t.category}` : ''}]`).join(', ')}` : ''}\n`,
          );
        } finally {
          await parley.stop();
          await db.close();
          rmSync(scratch, { recursive: true, force: true });
        }
      }),
    );

  flows
    .command('stats')
    .description('Per step of a flow: how many entered, answered, answered wrongly, timed out or dropped')
    .argument('<flow>', 'the flow id')
    .option('--since <days>', 'only the last N days')
    .option('--json', 'print JSON')
    .action(
      action(async (flowId: string, options: { since?: string; json?: boolean }) => {
        await withDatabase(async (db, config) => {
          const flow = readFlowDirectory(config.PARLEY_FLOWS_DIR).flows.find((f) => f.flow.id === flowId)?.flow;
          const since = options.since ? new Date(Date.now() - Number(options.since) * 86_400_000) : undefined;
          const stats = await flowStats(db, flowId, flow, since);
          if (options.json) return printJson(stats);
          const s = stats.sessions;
          process.stdout.write(`flow ${flowId}: ${s.started} sessions (${s.active} active, ${s.completed} completed, ${s.abandoned} abandoned)\n`);
          const rows = stats.steps.map((step) => [step.stepId, ...Object.values(step.counts).map(String)]);
          const header = ['step', 'entered', 'answered', 'invalid', 'timed_out', 'dropped', 'completed'];
          const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
          for (const row of [header, ...rows])
            process.stdout.write(`${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number))).join('  ')}\n`);
        });
      }),
    );
}

/** Buttons and lists drawn the way the channel shows them; plain text as is. */
function renderAsSeen(message: OutboundMessage): string {
  const { content } = message;
  const lines = [content.text ?? ''];
  if (content.buttons) lines.push(content.buttons.map((b) => `[ ${b.title} ]`).join('  '));
  if (content.list) {
    lines.push(`≡ ${content.list.button}`);
    content.list.sections.forEach((section) => section.rows.forEach((row, i) => lines.push(`   ${i + 1}. ${row.title}`)));
  }
  return lines.filter(Boolean).join('\n');
}

async function idle(parley: Parley): Promise<void> {
  for (let quiet = 0; quiet < 3;) {
    const [inbound, outbound, jobs] = await Promise.all([
      parley.db.prisma.inboxEvent.count({ where: { status: 'pending' } }),
      parley.db.prisma.outboxItem.count({ where: { status: 'pending' } }),
      parley.db.prisma.job.count({ where: { status: 'pending', runAt: { lte: new Date() } } }),
    ]);
    quiet = inbound + outbound + jobs === 0 ? quiet + 1 : 0;
    await new Promise((r) => setTimeout(r, 15));
  }
}

async function sessionActive(parley: Parley, conversationId: string): Promise<boolean> {
  return (await parley.db.prisma.flowSession.count({ where: { conversationId, status: 'active' } })) > 0;
}
