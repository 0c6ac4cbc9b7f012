import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { AiAssist } from './ai/assist.ts';
import type { Config } from './config.ts';
import type { ChannelAdapter, ChannelCapabilities, ChannelContext, ChannelDefinition } from './core/channel.ts';
import { newId } from './core/ids.ts';
import { type Database, openDatabase } from './db/database.ts';
import { migrate } from './db/migrate.ts';
import { FlowEngine } from './flows/engine.ts';
import { FlowRegistry } from './flows/registry.ts';
import { EventBus } from './pipeline/events.ts';
import { channelStateStore, conversationThread } from './pipeline/channel-support.ts';
import { defaultHandlers, type HandlerSelector } from './pipeline/handler.ts';
import { JobRunner } from './pipeline/jobs.ts';
import { Inbox } from './pipeline/inbox.ts';
import { lastInboundAt, recordConsent } from './pipeline/consent.ts';
import { Leases } from './pipeline/leases.ts';
import { OutboxDispatcher } from './pipeline/outbox.ts';
import { InboundProcessor } from './pipeline/processor.ts';
import { RateLimiter } from './pipeline/rate-limiter.ts';

export interface ChannelState {
  readonly name: string;
  readonly description: string;
  readonly state: 'on' | 'off' | 'failed';
  readonly detail: string;
}

export interface ParleyOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** The registered channel definitions (channels/index.ts). */
  readonly channels: readonly ChannelDefinition[];
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Adapters to run instead of building them from definitions (parley chat, tests). */
  readonly adapters?: readonly ChannelAdapter[];
  /** Replaces the flow engine as the handler of every conversation (tests of the pipeline). */
  readonly handlers?: HandlerSelector;
  /** The flows to run (default: read from PARLEY_FLOWS_DIR). */
  readonly flows?: FlowRegistry;
  readonly fetch?: typeof fetch;
  readonly database?: Database;
  readonly now?: () => Date;
}

/**
 * One Parley process: the database, the durable inbox, the inbound processor, the outbox
 * dispatcher and the channel adapters, wired together. The core modules never import a
 * channel; adapters arrive here as definitions or instances.
 */
export class Parley {
  readonly workerId = `${hostname()}:${process.pid}:${newId().slice(-6)}`;
  readonly inbox: Inbox;
  readonly processor: InboundProcessor;
  readonly dispatcher: OutboxDispatcher;
  readonly jobs: JobRunner;
  readonly events: EventBus;
  /** Message classification, hand-off summaries and suggested replies (src/ai). */
  readonly ai: AiAssist;
  readonly flows: FlowRegistry;
  /** Undefined when the options replace the handlers. */
  readonly flowEngine: FlowEngine | undefined;
  readonly #adapters = new Map<string, ChannelAdapter>();
  readonly #states: ChannelState[] = [];
  #started: ChannelAdapter[] = [];

  private constructor(
    readonly db: Database,
    readonly config: Config,
    readonly logger: Logger,
    private readonly options: ParleyOptions,
  ) {
    const leases = new Leases(db, config.PARLEY_LEASE_TTL, () => (options.now?.() ?? new Date()).getTime());
    this.inbox = new Inbox(db, logger, config.PARLEY_DEFAULT_REGION);
    this.dispatcher = new OutboxDispatcher(
      db,
      leases,
      (channel) => this.#adapters.get(channel),
      new RateLimiter(),
      logger.child({ part: 'outbox' }),
      {
        batchSize: 200,
        loops: 1,
        pollIntervalMs: config.PARLEY_POLL_INTERVAL,
        maxAttempts: config.PARLEY_SEND_MAX_ATTEMPTS,
        backoffBaseMs: config.PARLEY_SEND_BACKOFF_BASE,
        backoffMaxMs: config.PARLEY_SEND_BACKOFF_MAX,
        rateOverrides: config.PARLEY_RATE_LIMITS ?? {},
        workerId: this.workerId,
        channels: () => [...this.#adapters.keys()],
      },
      options.now,
    );
    this.jobs = new JobRunner(
      db,
      leases,
      logger.child({ part: 'jobs' }),
      {
        batchSize: 100,
        pollIntervalMs: config.PARLEY_POLL_INTERVAL,
        maxAttempts: config.PARLEY_SEND_MAX_ATTEMPTS,
        backoffBaseMs: config.PARLEY_SEND_BACKOFF_BASE,
        backoffMaxMs: config.PARLEY_SEND_BACKOFF_MAX,
        workerId: this.workerId,
      },
      options.now,
    );
    this.events = new EventBus(this.jobs, db.dialect, logger.child({ part: 'events' }));
    this.ai = new AiAssist(db, config, logger.child({ part: 'ai' }), options.now);
    this.ai.register(this.events);
    this.flows = options.flows ?? new FlowRegistry(config.PARLEY_FLOWS_DIR, db, logger.child({ part: 'flows' }));
    this.flowEngine =
      options.handlers && !options.flows
        ? undefined
        : new FlowEngine({
            registry: this.flows,
            db,
            events: this.events,
            jobs: this.jobs,
            classifier: this.ai.classifier,
            logger: logger.child({ part: 'flows' }),
            defaultRegion: config.PARLEY_DEFAULT_REGION,
            defaultLocale: config.PARLEY_DEFAULT_LOCALE,
            capabilitiesOf: (channel) => this.capabilitiesOf(channel),
            onOutboundQueued: () => this.dispatcher.notify(),
            ackText: config.PARLEY_ACK_TEXT,
            fetch: options.fetch,
            now: options.now,
          });
    this.flowEngine?.register();
    const engine = this.flowEngine;
    this.processor = new InboundProcessor(
      db,
      leases,
      options.handlers ?? (engine ? () => engine : defaultHandlers(config.PARLEY_ACK_TEXT)),
      (channel) => this.capabilitiesOf(channel),
      logger.child({ part: 'inbound' }),
      {
        batchSize: config.PARLEY_BATCH_SIZE,
        loops: config.PARLEY_WORKER_CONCURRENCY,
        pollIntervalMs: config.PARLEY_POLL_INTERVAL,
        reopenWindowMs: config.PARLEY_REOPEN_WINDOW,
        defaultRegion: config.PARLEY_DEFAULT_REGION,
        defaultLocale: config.PARLEY_DEFAULT_LOCALE,
        workerId: this.workerId,
      },
      this.events,
      () => this.dispatcher.notify(),
      options.now,
    );
    this.inbox.onCommitted(() => this.processor.notify());
    this.processor.onCommitted(() => this.jobs.notify());
  }

  /** Opens (and migrates) the database and builds the adapters; nothing runs yet. */
  static async open(options: ParleyOptions): Promise<Parley> {
    const db = options.database ?? (await openDatabase(options.config.DATABASE_URL));
    if (!options.database) {
      const { applied } = await migrate(db);
      if (applied.length > 0) options.logger.info({ applied }, 'database migrated');
    }
    if (!options.handlers && options.config.PARLEY_BOTKIT_DIALOGS) {
      const { botkitHandlersFromModule } = await import('./flows/botkit/index.ts');
      options = {
        ...options,
        handlers: await botkitHandlersFromModule(db, options.config.PARLEY_BOTKIT_DIALOGS, options.config.PARLEY_ACK_TEXT, options.logger),
      };
    }
    const parley = new Parley(db, options.config, options.logger, options);
    parley.#buildAdapters();
    if (!options.flows) await parley.flows.reload();
    return parley;
  }

  #buildAdapters(): void {
    if (this.options.adapters) {
      for (const adapter of this.options.adapters) {
        this.#adapters.set(adapter.name, adapter);
        this.#states.push({ name: adapter.name, description: '', state: 'on', detail: 'provided' });
      }
      return;
    }
    for (const definition of this.options.channels) {
      const created = definition.create(this.options.env ?? process.env);
      if ('off' in created) {
        this.#states.push({ name: definition.name, description: definition.description, state: 'off', detail: created.off });
      } else {
        this.#adapters.set(definition.name, created);
        this.#states.push({ name: definition.name, description: definition.description, state: 'on', detail: 'configured' });
      }
    }
  }

  get adapters(): ReadonlyMap<string, ChannelAdapter> {
    return this.#adapters;
  }

  channelStates(): ChannelState[] {
    return this.#states.map((s) => {
      const health = this.#adapters.get(s.name)?.health?.();
      return health && s.state === 'on' ? { ...s, detail: health.detail, state: health.ready ? 'on' : 'failed' } : s;
    });
  }

  capabilitiesOf(channel: string): ChannelCapabilities | undefined {
    return this.#adapters.get(channel)?.capabilities ?? this.options.channels.find((c) => c.name === channel)?.capabilities;
  }

  channelContext(channel: string): ChannelContext {
    return {
      receive: (message) => this.inbox.accept(message),
      reportStatus: (update) => this.dispatcher.reportStatus(update),
      recordConsent: (address, action) => recordConsent(this.db, channel, address, action, this.options.now?.() ?? new Date()),
      lastInboundAt: (address) => lastInboundAt(this.db, channel, address),
      conversationThread: (conversationId) => conversationThread(this.db, conversationId),
      state: channelStateStore(this.db, channel),
      logger: this.logger.child({ channel }),
      dataDir: this.config.PARLEY_DATA_DIR,
      defaultRegion: this.config.PARLEY_DEFAULT_REGION,
    };
  }

  /** Starts the adapters and the workers. */
  async start(): Promise<void> {
    await this.startChannels();
    this.processor.start();
    this.dispatcher.start();
    this.jobs.start();
    this.flows.watch();
    await this.flowEngine?.scheduleSweep();
  }

  /** Starts the adapters; a failing one is logged and marked failed, the rest go on. */
  async startChannels(): Promise<void> {
    for (const [name, adapter] of this.#adapters) {
      try {
        await adapter.start(this.channelContext(name));
        this.#started.push(adapter);
      } catch (error) {
        this.logger.error({ err: error, channel: name }, 'channel failed to start');
        const index = this.#states.findIndex((s) => s.name === name);
        const state = this.#states[index];
        if (state) this.#states[index] = { ...state, state: 'failed', detail: (error as Error).message };
      }
    }
  }

  /** Stops taking work, lets what is in flight finish, stops the adapters, closes the database. */
  async stop(): Promise<void> {
    this.flows.close();
    await this.processor.stop();
    await this.dispatcher.stop();
    await this.jobs.stop();
    for (const adapter of this.#started.reverse()) {
      await adapter.stop().catch((error: unknown) => this.logger.error({ err: error, channel: adapter.name }, 'channel failed to stop'));
    }
    this.#started = [];
    if (!this.options.database) await this.db.close();
  }
}
