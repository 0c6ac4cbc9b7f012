import { OutreachPacer, outreachBudget } from './contact/outreach-pace.ts';
import { TemplateRegistry } from './contact/templates.ts';
import { windowTemplate } from './contact/window-template.ts';
import { contactPolicyFrom } from './contact/policy-config.ts';
import { KeyCustomerRules } from './crm/key-rules.ts';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { AiAssist } from './ai/assist.ts';
import { type AgentText, agentTextOf } from './agent-text/agent-text.ts';
import type { Config } from './config.ts';
import { type ChannelAdapter, type ChannelCapabilities, type ChannelContext, type ChannelDefinition, openChannel } from './core/channel.ts';
import { newId } from './core/ids.ts';
import type { ParleyPlugin, PluginDefinition } from './core/plugin.ts';
import { type Database, openDatabase } from './db/database.ts';
import { migrate } from './db/migrate.ts';
import { type DialogBot, flowsBesideBotkit } from './flows/botkit/beside.ts';
import { FlowEngine } from './flows/engine.ts';
import { FlowRegistry } from './flows/registry.ts';
import { Desk, registerDeskJobs } from './desk/desk.ts';
import { EventBus } from './pipeline/events.ts';
import { channelStateStore, conversationThread, queueReplyCopy } from './pipeline/channel-support.ts';
import { registerChannelRetries, scheduleChannelRetry, updateInboundAttachments } from './pipeline/channel-retry.ts';
import { defaultHandlers, type HandlerSelector } from './pipeline/handler.ts';
import { JobRunner } from './pipeline/jobs.ts';
import { CampaignRunner } from './campaigns/runner.ts';
import { Inbox } from './pipeline/inbox.ts';
import { lastInboundAt, recordConsent } from './pipeline/consent.ts';
import { RecentInbound } from './pipeline/recent-inbound.ts';
import { Leases } from './pipeline/leases.ts';
import { OutboxDispatcher } from './pipeline/outbox.ts';
import { InboundProcessor } from './pipeline/processor.ts';
import { RateLimiter } from './pipeline/rate-limiter.ts';
import { Alerts, type AlertsConfig, AlertsConfigSchema } from './routing/alerts.ts';
import { defaultRoutingConfig, type RoutingConfig, RoutingConfigSchema } from './routing/config.ts';
import { Lifecycle } from './routing/lifecycle.ts';
import { type DeskNotifier, EmailNotifier, LoggingNotifier, NotifierSet } from './routing/notifier.ts';
import { QueueHolding } from './routing/holding.ts';
import { UnattendedFlag } from './routing/unattended.ts';
import { Routing } from './routing/routing.ts';
import type { TicketDeps } from './routing/tickets.ts';
import { readYamlConfig } from './routing/yaml-config.ts';

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
  /** The registered plugins (src/plugins.ts), or plugin instances (tests). */
  readonly plugins?: readonly (PluginDefinition | ParleyPlugin)[];
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Adapters to run instead of building them from definitions (parley chat, tests). */
  readonly adapters?: readonly ChannelAdapter[];
  /** Send only to these recipient lanes (outboundLaneKey): `parley chat` speaks for its one customer. */
  readonly outboundLanes?: readonly string[];
  /** Replaces the flow engine as the handler of every conversation (tests of the pipeline). */
  readonly handlers?: HandlerSelector;
  /** Botkit dialogs that run beside the flows (made from PARLEY_BOTKIT_DIALOGS when not given). */
  readonly botkit?: DialogBot;
  /** The flows to run (default: read from PARLEY_FLOWS_DIR). */
  readonly flows?: FlowRegistry;
  readonly fetch?: typeof fetch;
  readonly database?: Database;
  readonly now?: () => Date;
  /** Where desk notices go besides the log (the Slack desk plugs in here). */
  readonly notifier?: DeskNotifier;
  /** Read from PARLEY_ROUTING_CONFIG / PARLEY_ALERTS_CONFIG when not given. */
  readonly routingConfig?: RoutingConfig;
  readonly alertsConfig?: AlertsConfig;
  /** How many customers the flow engine's `inactive` sweep reads at a time (tests lower it). */
  readonly inactiveSweepPage?: number;
  /** Read from PARLEY_TEMPLATES_FILE when not given. */
  readonly templates?: TemplateRegistry;
}

/**
 * One Parley process: the database, the durable inbox, the inbound processor, the outbox
 * dispatcher and the channel adapters, wired together. The core modules never import a
 * channel; adapters arrive here as definitions or instances.
 */
export class Parley {
  /** The WhatsApp templates registry (PARLEY_TEMPLATES_FILE); undefined when none is configured. */
  readonly templates: TemplateRegistry | undefined;
  readonly workerId = `${hostname()}:${process.pid}:${newId().slice(-6)}`;
  readonly inbox: Inbox;
  readonly processor: InboundProcessor;
  readonly dispatcher: OutboxDispatcher;
  readonly jobs: JobRunner;
  /** Campaign jobs: targeting each run and sending within the campaigns' share of each channel's rate. */
  readonly campaigns: CampaignRunner;
  readonly events: EventBus;
  /** Message classification, hand-off summaries and suggested replies (src/ai). */
  readonly ai: AiAssist;
  readonly flows: FlowRegistry;
  /** Undefined when the options replace the handlers. */
  readonly flowEngine: FlowEngine | undefined;
  /** Agent operations (reply, note, assign, resolve, ...) for the desk plugins, API and CLI. */
  readonly desk: Desk;
  readonly routing: Routing;
  readonly alerts: Alerts;
  /** Agent-facing texts, dates and calendar (PARLEY_AGENT_LOCALE, PARLEY_AGENT_TIMEZONE). */
  readonly agentText: AgentText;
  readonly lifecycle: Lifecycle;
  readonly keyRules: KeyCustomerRules;
  /** Every desk notice goes to each of these; add the Slack desk with `notifiers.add(...)`. */
  readonly notifiers: NotifierSet;
  readonly #adapters = new Map<string, ChannelAdapter>();
  readonly #recentInbound = new RecentInbound(() => this.options.now?.() ?? new Date());
  readonly #states: ChannelState[] = [];
  #started: ChannelAdapter[] = [];
  readonly #plugins: ParleyPlugin[] = [];
  readonly #holding: QueueHolding;
  /** The `unattended` tag on hand-offs no desk or available agent can take. */
  readonly unattended: UnattendedFlag;
  readonly #pluginStates: ChannelState[] = [];
  #startedPlugins: ParleyPlugin[] = [];

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
        laneConcurrency: config.PARLEY_SEND_CONCURRENCY,
        sendTimeoutMs: (channel) => config.PARLEY_SEND_TIMEOUTS.perChannel[channel] ?? config.PARLEY_SEND_TIMEOUTS.defaultMs,
        // Leaves most of PostgreSQL's pool of 10 to inbound batches and jobs.
        dbConcurrency: 4,
        lanes: options.outboundLanes,
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
    this.events = new EventBus(db, this.jobs, logger.child({ part: 'events' }), { subscriberTtlMs: config.PARLEY_EVENT_SUBSCRIBER_TTL });
    this.ai = new AiAssist(db, config, logger.child({ part: 'ai' }), options.now);
    this.ai.register(this.events);
    const contactPolicy = contactPolicyFrom(config);
    this.templates = options.templates;
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
            fallback: options.botkit,
            holding: (turn) => this.#holding.replyFor(turn),
            fetch: options.fetch,
            now: options.now,
            winback: {
              mayWinBack: (flowId, customers, now) => this.lifecycle.mayWinBack(flowId, customers, now),
              pace: (starts, now) => this.lifecycle.pace(starts, now),
            },
            inactiveSweepPage: options.inactiveSweepPage,
            contactPolicy,
          });
    this.flowEngine?.register();
    this.agentText = agentTextOf(config);
    this.notifiers = new NotifierSet(new LoggingNotifier(logger.child({ part: 'desk' }), this.agentText));
    if (options.notifier) this.notifiers.add(options.notifier);
    if (config.PARLEY_NOTIFY_SMTP_URL) {
      const smtpUrl = config.PARLEY_NOTIFY_SMTP_URL;
      this.notifiers.add(
        new EmailNotifier({
          transport: { sendMail: async (mail) => (await import('nodemailer')).createTransport(smtpUrl).sendMail(mail) },
          from: config.PARLEY_NOTIFY_FROM,
          to: config.PARLEY_NOTIFY_EMAIL,
          text: this.agentText,
        }),
      );
    }
    const routingConfig = options.routingConfig ?? defaultRoutingConfig();
    this.alerts = new Alerts(db, options.alertsConfig ?? AlertsConfigSchema.parse({}), this.agentText);
    this.alerts.register(this.events, this.jobs);
    this.routing = new Routing({
      db,
      events: this.events,
      jobs: this.jobs,
      config: routingConfig,
      notifier: () => this.notifiers,
      logger: logger.child({ part: 'routing' }),
      defaultLocale: config.PARLEY_DEFAULT_LOCALE,
      onOutboundQueued: () => this.dispatcher.notify(),
      onQueued: (tx, queued) => this.alerts.onQueued(tx, queued),
      now: options.now,
    });
    this.routing.register();
    const deskRunning = () => this.#pluginStates.some((p) => p.state !== 'off');
    this.#holding = new QueueHolding(db, () => this.routing, deskRunning, logger.child({ part: 'routing' }));
    this.unattended = new UnattendedFlag(db, deskRunning);
    this.unattended.register(this.events);
    const rateOf = (channel: string) => config.PARLEY_RATE_LIMITS?.[channel] ?? this.capabilitiesOf(channel)?.rateLimits.perChannel;
    this.lifecycle = new Lifecycle(
      db,
      routingConfig.lifecycle,
      logger.child({ part: 'lifecycle' }),
      (id) => this.flows.all().some((f) => f.id === id),
      contactPolicy,
      new OutreachPacer((channel) => outreachBudget(rateOf(channel), config.PARLEY_CAMPAIGN_RATE_SHARE)),
    );
    this.lifecycle.register(this.jobs);
    this.keyRules = new KeyCustomerRules(db, routingConfig.key_customers.rules, logger.child({ part: 'key-customers' }));
    this.keyRules.register(this.jobs);
    const engine = this.flowEngine;
    this.desk = new Desk(
      db,
      this.events,
      this.routing,
      () => this.dispatcher.notify(),
      options.now,
      (channel) => this.capabilitiesOf(channel)?.richText,
    );
    registerDeskJobs(this.jobs, this.desk);
    this.campaigns = new CampaignRunner({
      db,
      jobs: this.jobs,
      logger: logger.child({ part: 'campaigns' }),
      contactPolicy,
      rateOf,
      capabilitiesOf: (channel) => this.capabilitiesOf(channel),
      templates: this.templates,
      ratePercent: config.PARLEY_CAMPAIGN_RATE_SHARE,
      defaultTimeZone: config.PARLEY_CAMPAIGN_TIMEZONE,
      quietHours: config.PARLEY_CAMPAIGN_QUIET_HOURS,
      defaultLocale: config.PARLEY_DEFAULT_LOCALE,
      onOutboundQueued: () => this.dispatcher.notify(),
    });
    this.campaigns.register();
    registerChannelRetries(this.jobs, (channel) => this.#adapters.get(channel));
    this.processor = new InboundProcessor(
      db,
      leases,
      options.handlers ?? (engine ? (options.botkit ? flowsBesideBotkit(engine, options.botkit) : () => engine) : defaultHandlers(config.PARLEY_ACK_TEXT)),
      (channel) => this.capabilitiesOf(channel),
      logger.child({ part: 'inbound' }),
      {
        batchSize: config.PARLEY_BATCH_SIZE,
        loops: config.PARLEY_WORKER_CONCURRENCY,
        pollIntervalMs: config.PARLEY_POLL_INTERVAL,
        reopenWindowMs: config.PARLEY_REOPEN_WINDOW,
        defaultRegion: config.PARLEY_DEFAULT_REGION,
        defaultLocale: config.PARLEY_DEFAULT_LOCALE,
        linkSamePhone: config.PARLEY_LINK_SAME_PHONE === 'true',
        workerId: this.workerId,
        recentInbound: this.#recentInbound,
      },
      this.events,
      (sends) => this.dispatcher.notify(sends),
      options.now,
    );
    this.inbox.onCommitted((lanes) => this.processor.notify(lanes));
  }

  /** Opens (and migrates) the database and builds the adapters; nothing runs yet. */
  static async open(options: ParleyOptions): Promise<Parley> {
    const db = options.database ?? (await openDatabase(options.config.DATABASE_URL));
    if (!options.database) {
      const { applied } = await migrate(db);
      if (applied.length > 0) options.logger.info({ applied }, 'database migrated');
    }
    if (!options.handlers && !options.botkit && options.config.PARLEY_BOTKIT_DIALOGS) {
      // Loaded only when configured: Botkit and the Bot Framework SDK are large.
      const { botkitDialogHandlerFromModule } = await import('./flows/botkit/handler.ts');
      options = {
        ...options,
        botkit: await botkitDialogHandlerFromModule(db, options.config.PARLEY_BOTKIT_DIALOGS, options.config.PARLEY_ACK_TEXT, options.logger),
      };
    }
    options = {
      ...options,
      routingConfig:
        options.routingConfig ?? (options.config.PARLEY_ROUTING_CONFIG ? readYamlConfig(options.config.PARLEY_ROUTING_CONFIG, RoutingConfigSchema) : undefined),
      alertsConfig:
        options.alertsConfig ?? (options.config.PARLEY_ALERTS_CONFIG ? readYamlConfig(options.config.PARLEY_ALERTS_CONFIG, AlertsConfigSchema) : undefined),
      templates: options.templates ?? (options.config.PARLEY_TEMPLATES_FILE ? TemplateRegistry.load(options.config.PARLEY_TEMPLATES_FILE) : undefined),
    };
    const parley = new Parley(db, options.config, options.logger, options);
    await parley.routing.syncConfig();
    await parley.#buildAdapters();
    if (!options.flows) await parley.flows.reload();
    parley.#buildPlugins();
    return parley;
  }

  /** Loads the module (and SDK) of each channel that is on; channels that are off load nothing. */
  async #buildAdapters(): Promise<void> {
    if (this.options.adapters) {
      for (const adapter of this.options.adapters) {
        this.#adapters.set(adapter.name, adapter);
        this.#states.push({ name: adapter.name, description: '', state: 'on', detail: 'provided' });
      }
      return;
    }
    for (const definition of this.options.channels) {
      const created = await openChannel(definition, this.options.env ?? process.env);
      if ('off' in created) {
        this.#states.push({ name: definition.name, description: definition.description, state: 'off', detail: created.off });
      } else {
        this.#adapters.set(definition.name, created);
        this.#states.push({ name: definition.name, description: definition.description, state: 'on', detail: 'configured' });
      }
    }
  }

  #buildPlugins(): void {
    for (const entry of this.options.plugins ?? []) {
      const created = 'create' in entry ? entry.create(this.options.env ?? process.env) : entry;
      const description = 'description' in entry ? entry.description : '';
      if ('off' in created) {
        this.#pluginStates.push({ name: entry.name, description, state: 'off', detail: created.off });
      } else {
        this.#plugins.push(created);
        this.#pluginStates.push({ name: entry.name, description, state: 'on', detail: 'configured' });
      }
    }
  }

  /** Plugins: on, off (and how to turn them on) or failed. */
  pluginStates(): ChannelState[] {
    return this.#pluginStates.map((s) => {
      const health = this.#plugins.find((p) => p.name === s.name)?.health?.();
      return health && s.state === 'on' ? { ...s, detail: health.detail, state: health.ready ? 'on' : 'failed' } : s;
    });
  }

  /** The clock (a fake one in tests). */
  readonly now = (): Date => this.options.now?.() ?? new Date();

  /** What ticket status changes need (changeTicketStatus). */
  ticketDeps(): TicketDeps {
    return {
      db: this.db,
      events: this.events,
      config: this.routing.config,
      defaultLocale: this.config.PARLEY_DEFAULT_LOCALE,
      onOutboundQueued: () => this.dispatcher.notify(),
    };
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
      // The channel's name is the core's to stamp: an adapter cannot file a message under another channel.
      receive: (message) => this.inbox.accept({ ...message, channel }),
      reportStatus: (update) => this.dispatcher.reportStatus({ ...update, channel }),
      recordConsent: (address, action) => recordConsent(this.db, channel, address, action, this.options.now?.() ?? new Date()),
      lastInboundAt: (address) => this.#recentInbound.lastInboundAt(channel, address, () => lastInboundAt(this.db, channel, address)),
      conversationThread: (conversationId) => conversationThread(this.db, conversationId),
      windowTemplate: (message) => windowTemplate(this.db, this.templates, message, this.config.PARLEY_DEFAULT_LOCALE),
      retryLater: (task) => scheduleChannelRetry(this.db, channel, task, this.options.now?.() ?? new Date()),
      sendThrough: async (via, copy) => {
        const adapter = this.#adapters.get(via);
        if (via === channel || !adapter || !this.#started.includes(adapter)) return false;
        await queueReplyCopy(this.db, via, copy, this.options.now?.() ?? new Date());
        this.dispatcher.notify();
        return true;
      },
      updateAttachments: (externalId, update) => updateInboundAttachments(this.db, channel, externalId, update),
      state: channelStateStore(this.db, channel),
      logger: this.logger.child({ channel }),
      dataDir: this.config.PARLEY_DATA_DIR,
      defaultRegion: this.config.PARLEY_DEFAULT_REGION,
    };
  }

  /** Starts the adapters and the workers. */
  async start(): Promise<void> {
    await this.startChannels();
    await this.startPlugins();
    // Before any work: events other processes emit from now on include this one's subscribers.
    await this.events.record(this.now());
    this.processor.start();
    this.dispatcher.start();
    this.jobs.start();
    this.flows.watch();
    await this.flowEngine?.scheduleSweep();
    await this.lifecycle.scheduleSweep(this.options.now?.() ?? new Date());
    await this.keyRules.schedule(this.options.now?.() ?? new Date());
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

  /** Starts the plugins; a failing one is logged and marked failed, the rest go on. */
  async startPlugins(): Promise<void> {
    for (const plugin of this.#plugins) {
      try {
        await plugin.start(this);
        this.#startedPlugins.push(plugin);
      } catch (error) {
        this.logger.error({ err: error, plugin: plugin.name }, 'plugin failed to start');
        const index = this.#pluginStates.findIndex((s) => s.name === plugin.name);
        const state = this.#pluginStates[index];
        if (state) this.#pluginStates[index] = { ...state, state: 'failed', detail: (error as Error).message };
      }
    }
  }

  /** Stops taking work, lets what is in flight finish, stops the adapters, closes the database. */
  async stop(): Promise<void> {
    this.flows.close();
    for (const plugin of this.#startedPlugins.reverse()) {
      await plugin.stop().catch((error: unknown) => this.logger.error({ err: error, plugin: plugin.name }, 'plugin failed to stop'));
    }
    this.#startedPlugins = [];
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
