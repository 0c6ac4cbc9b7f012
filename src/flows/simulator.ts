import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ConsoleAdapter } from '../../channels/console/index.ts';
import type { Config } from '../config.ts';
import type { ChannelCapabilities, ChannelDefinition } from '../core/channel.ts';
import { newId } from '../core/ids.ts';
import type { OutboundMessage } from '../core/message.ts';
import { openDatabase } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { Parley } from '../runtime.ts';
import { FlowRegistry } from './registry.ts';

export interface SimulationOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly channels: readonly ChannelDefinition[];
  readonly dir: string;
  readonly flowId: string;
  readonly locale: string;
  readonly channel: string;
  readonly capabilities: ChannelCapabilities;
  readonly newCustomer?: boolean;
  /** The name the customer's channel gave (a WhatsApp profile name, an email display name). */
  readonly customerName?: string;
  /** Call webhook steps for real; otherwise they answer 200 `{}` and are reported to onWebhook. */
  readonly live?: boolean;
  readonly onWebhook?: (method: string, url: string) => void;
  /** Called with each bot message as the channel would show it. */
  readonly print: (shown: string, message: OutboundMessage) => void;
}

export interface SimulationOutcome {
  readonly flowId: string | undefined;
  readonly sessionStatus: string | undefined;
  readonly stepId: string | undefined;
  readonly conversationStatus: string;
  readonly team: string | undefined;
  readonly priority: string;
  readonly tickets: { ref: string; kind: string; category: string | null; fields: unknown }[];
  readonly attributes: Record<string, unknown>;
  readonly customerName: string | null;
  readonly surveys: { kind: string; score: number; comment: string | null }[];
}

/**
 * Runs one flow in a scratch database through the real pipeline, as a customer on `channel`
 * would see it. `answers` yields the customer's lines; the run stops when the flow ends.
 */
export async function simulateFlow(options: SimulationOptions, answers: AsyncIterable<string> | Iterable<string>): Promise<SimulationOutcome> {
  const scratch = mkdtempSync(join(tmpdir(), 'parley-simulate-'));
  const db = await openDatabase(`file:${join(scratch, 'simulate.db')}`);
  await migrate(db);
  const registry = new FlowRegistry(options.dir, db, options.logger);
  await registry.reload();
  const adapter = new ConsoleAdapter(options.channel, options.capabilities, (_text, message) => options.print(renderAsSeen(message), message));
  const parley = await Parley.open({
    config: { ...options.config, PARLEY_POLL_INTERVAL: 10 },
    logger: options.logger,
    channels: options.channels,
    adapters: [adapter],
    database: db,
    flows: registry,
    fetch: options.live ? undefined : stubWebhooks(options.onWebhook),
  });
  try {
    await parley.start();
    const address = 'simulator';
    const customerId = newId();
    const conversationId = newId();
    await db.write(async (tx) => {
      await tx.customer.create({
        data: {
          id: customerId,
          name: options.customerName ?? (options.newCustomer ? null : 'Sam'),
          locale: options.locale,
          attributes: {},
          tags: [],
          lifecycleStage: options.newCustomer ? 'new' : 'active',
        },
      });
      const identity = await tx.channelIdentity.create({ data: { id: newId(), customerId, channel: options.channel, address } });
      await tx.conversation.create({ data: { id: conversationId, customerId, identityId: identity.id, channel: options.channel } });
      await parley.events.emit(tx, [{ type: 'flow.start_requested', conversationId, customerId, flowId: options.flowId, by: 'api' }]);
    });
    parley.jobs.notify();
    await idle(parley);
    for await (const line of answers) {
      if ((await db.prisma.flowSession.count({ where: { conversationId, status: 'active' } })) === 0) break;
      if (!line.trim()) continue;
      await parley.inbox.accept({
        channel: options.channel,
        externalId: `sim-${newId()}`,
        sender: { address, addressKind: 'opaque' },
        text: line,
        raw: { line },
      });
      await idle(parley);
    }
    const conversation = await db.prisma.conversation.findUniqueOrThrow({ where: { id: conversationId }, include: { team: true, customer: true } });
    const session = await db.prisma.flowSession.findFirst({ where: { conversationId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
    const tickets = await db.prisma.ticket.findMany({ where: { conversationId } });
    const surveys = await db.prisma.surveyResponse.findMany({ where: { customerId } });
    return {
      flowId: session?.flowId,
      sessionStatus: session?.status,
      stepId: session?.stepId,
      conversationStatus: conversation.status,
      team: conversation.team?.name,
      priority: conversation.priority,
      tickets: tickets.map((t) => ({ ref: t.ref, kind: t.kind, category: t.category, fields: t.fields })),
      attributes: conversation.customer.attributes as Record<string, unknown>,
      customerName: conversation.customer.name,
      surveys: surveys.map((s) => ({ kind: s.kind, score: s.score, comment: s.comment })),
    };
  } finally {
    await parley.stop();
    await db.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** A fetch for webhook steps that calls nothing: a simulation must not reach real systems. */
function stubWebhooks(onWebhook: SimulationOptions['onWebhook']): typeof fetch {
  return async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    onWebhook?.(init?.method ?? 'GET', url);
    return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
  };
}

/** Buttons and lists drawn the way the channel shows them; plain text as is. */
export function renderAsSeen(message: OutboundMessage): string {
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
      parley.processor.pendingCount(),
      parley.dispatcher.unsentCount(),
      parley.db.prisma.job.count({ where: { status: 'pending', runAt: { lte: new Date() } } }),
    ]);
    quiet = inbound + outbound + jobs === 0 ? quiet + 1 : 0;
    await new Promise((r) => setTimeout(r, 15));
  }
}
