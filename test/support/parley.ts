import pino from 'pino';
import { loadConfig } from '../../src/config.ts';
import type { ChannelAdapter, ChannelCapabilities, ChannelContext, ChannelDefinition, SendResult } from '../../src/core/channel.ts';
import type { OutboundMessage } from '../../src/core/message.ts';
import type { ParleyPlugin } from '../../src/core/plugin.ts';
import type { Database } from '../../src/db/database.ts';
import type { HandlerSelector } from '../../src/pipeline/handler.ts';
import { FlowRegistry } from '../../src/flows/registry.ts';
import type { AlertsConfig } from '../../src/routing/alerts.ts';
import type { RoutingConfig } from '../../src/routing/config.ts';
import type { DeskNotifier } from '../../src/routing/notifier.ts';
import { Parley } from '../../src/runtime.ts';

export const silentLogger = pino({ level: 'silent' });

export const testCapabilities: ChannelCapabilities = {
  addressKind: 'phone',
  maxTextLength: 4096,
  buttons: { max: 3, maxTitleLength: 20 },
  list: { maxRows: 10, maxTitleLength: 24 },
  richText: 'none',
  media: true,
  rateLimits: {},
};

/** An adapter that records what it is asked to send and answers as `behaviour` says. */
export class FakeAdapter implements ChannelAdapter {
  readonly sent: OutboundMessage[] = [];
  context: ChannelContext | undefined;
  behaviour: (message: OutboundMessage) => Promise<SendResult> | SendResult = (m) => ({ externalId: `ext-${m.messageId}` });

  constructor(
    readonly name = 'whatsapp',
    readonly capabilities: ChannelCapabilities = testCapabilities,
  ) {}

  async start(context: ChannelContext): Promise<void> {
    this.context = context;
  }

  async stop(): Promise<void> {}

  async send(message: OutboundMessage): Promise<SendResult> {
    this.sent.push(message);
    return this.behaviour(message);
  }
}

export async function testParley(
  database: Database,
  options: {
    adapters?: ChannelAdapter[];
    handlers?: HandlerSelector;
    env?: Record<string, string>;
    now?: () => Date;
    flows?: FlowRegistry;
    fetch?: typeof fetch;
    plugins?: ParleyPlugin[];
    routingConfig?: RoutingConfig;
    alertsConfig?: AlertsConfig;
    notifier?: DeskNotifier;
    inactiveSweepPage?: number;
    logger?: pino.Logger;
    /** Channel definitions (capabilities of channels without an adapter here, for the studio's preview). */
    channels?: readonly ChannelDefinition[];
  } = {},
): Promise<Parley> {
  const config = loadConfig({
    PARLEY_SEND_BACKOFF_BASE: '1ms',
    PARLEY_SEND_BACKOFF_MAX: '5ms',
    PARLEY_POLL_INTERVAL: '20ms',
    PARLEY_DEFAULT_REGION: 'IR',
    ...options.env,
  });
  return Parley.open({
    config,
    logger: options.logger ?? silentLogger,
    channels: options.channels ?? [],
    adapters: options.adapters ?? [new FakeAdapter()],
    handlers: options.handlers,
    // No flows unless a test brings some: the plain acknowledgement answers.
    flows: options.handlers ? options.flows : (options.flows ?? FlowRegistry.of([], silentLogger, database)),
    fetch: options.fetch,
    plugins: options.plugins,
    database,
    now: options.now,
    routingConfig: options.routingConfig,
    alertsConfig: options.alertsConfig,
    notifier: options.notifier,
    inactiveSweepPage: options.inactiveSweepPage,
  });
}

/** Runs inbound batches and sends until nothing is left to do. */
export async function settle(parley: Parley): Promise<void> {
  for (let i = 0; i < 100; i++) {
    await parley.processor.drain();
    const jobsRan = await parley.jobs.drain();
    await parley.dispatcher.drain({ timeoutMs: 5_000 });
    if (jobsRan === 0 && (await parley.processor.pendingCount()) === 0) return;
  }
}
