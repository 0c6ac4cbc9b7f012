import { SlackNotifier } from './notifier.ts';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, type Receiver, webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { ChannelHealth } from '../../core/channel.ts';
import type { ParleyPlugin } from '../../core/plugin.ts';
import { scheduleJobs } from '../../pipeline/jobs.ts';
import { RateLimiter } from '../../pipeline/rate-limiter.ts';
import type { Parley } from '../../runtime.ts';
import { SlackDirectory } from './directory.ts';
import { registerListeners } from './listeners.ts';
import { SLACK_CHANNEL_RATE, SlackPoster, toSendError } from './poster.ts';
import type { SlackConfig } from './settings.ts';
import { StoreThenAckSocketReceiver } from './socket-receiver.ts';
import { SlackThreads } from './threads.ts';

/** How many conversations that waited unattended a starting desk posts (the oldest first). */
const UNATTENDED_CATCH_UP = 50;

const DeliveryJobSchema = z.object({ messageId: z.string(), status: z.enum(['delivered', 'read', 'failed']), reason: z.string().optional() });

/** Bolt's logger interface over Parley's pino logger. */
function boltLogger(logger: Logger) {
  return {
    debug: (...msg: unknown[]) => logger.debug(msg.map(String).join(' ')),
    info: (...msg: unknown[]) => logger.debug(msg.map(String).join(' ')),
    warn: (...msg: unknown[]) => logger.warn(msg.map(String).join(' ')),
    error: (...msg: unknown[]) => logger.error(msg.map(String).join(' ')),
    setLevel: () => {},
    getLevel: () => 'info' as never,
    setName: () => {},
  };
}

export interface SlackDeskOptions {
  /** Where the HTTP receiver listens (default SLACK_PORT on Parley's HOST). */
  readonly host?: string;
}

/**
 * The Slack agent desk: domain events become cards and thread posts (durable jobs), thread
 * replies become agent messages or internal notes, buttons and /parley become desk operations.
 */
export class SlackDesk implements ParleyPlugin {
  readonly name = 'slack';
  #app: App | undefined;
  #server: Server | undefined;
  #unsubscribe: (() => void) | undefined;
  #health: ChannelHealth = { ready: false, detail: 'not started' };
  #catchUp: Promise<void> | undefined;
  #stopping = false;

  constructor(
    readonly config: SlackConfig,
    private readonly options: SlackDeskOptions = {},
  ) {}

  /** The HTTP receiver's port (HTTP mode, once started). */
  get port(): number | undefined {
    return (this.#server?.address() as AddressInfo | null)?.port;
  }

  health(): ChannelHealth {
    return this.#health;
  }

  async start(parley: Parley): Promise<void> {
    const { config } = this;
    this.#stopping = false;
    const logger = parley.logger.child({ part: 'slack' });
    const receiver: Receiver = config.appToken
      ? new StoreThenAckSocketReceiver({ appToken: config.appToken, apiUrl: config.apiUrl, logger, boltLogger: boltLogger(logger) })
      : new HTTPReceiver({
          signingSecret: config.signingSecret as string,
          endpoints: '/slack/events',
          // The handler (which stores the agent's reply) finishes before Slack gets its 200.
          processBeforeResponse: true,
          logger: boltLogger(logger),
        });
    const app = new App({
      token: config.botToken,
      receiver,
      logger: boltLogger(logger),
      clientOptions: { slackApiUrl: config.apiUrl, rejectRateLimitedCalls: true, retryConfig: { retries: 2, minTimeout: 200, maxTimeout: 2000 } },
    });
    try {
      await app.client.auth.test();
    } catch (error) {
      throw new Error(`Slack rejected SLACK_BOT_TOKEN: ${toSendError('auth.test', error).message}`, { cause: error });
    }
    const rate = parley.config.PARLEY_RATE_LIMITS?.['slack:recipient'] ?? SLACK_CHANNEL_RATE;
    const poster = new SlackPoster(app.client, new RateLimiter(), rate);
    const threads = new SlackThreads(parley.db, poster, config, logger, parley.config.PARLEY_DATA_DIR, parley.agentText);
    const directory = new SlackDirectory(parley.db, app.client, config.cacheMs);
    const now = () => new Date();
    this.#subscribe(parley, threads);
    // SLA warnings and breaches, assignments and alerts from routing reach agents in Slack.
    parley.notifiers.add(
      new SlackNotifier(
        {
          notice: (conversationId, text, key) => threads.notice(conversationId, text, key),
          post: (args) => poster.post(args),
          threadLink: async (conversationId) => {
            const thread = await threads.current(conversationId);
            return thread ? poster.permalink(thread.channelId, thread.threadTs) : undefined;
          },
        },
        async (agentId) => (await parley.db.prisma.agent.findUnique({ where: { id: agentId } }))?.name ?? agentId,
        parley.agentText,
      ),
    );
    this.#trackDelivery(parley, threads, poster);
    registerListeners(app, {
      db: parley.db,
      desk: parley.desk,
      threads,
      directory,
      poster,
      config,
      logger,
      dataDir: parley.config.PARLEY_DATA_DIR,
      defaultRegion: parley.config.PARLEY_DEFAULT_REGION,
      defaultLocale: parley.config.PARLEY_DEFAULT_LOCALE,
      now,
      text: parley.agentText,
      suggestReply: (conversationId) => parley.ai.suggestReply(conversationId),
    });
    // Rethrown so the receiver does not acknowledge: Slack gets a 5xx (or no Socket Mode ack) and retries.
    app.error(async (error) => {
      logger.error({ err: error }, 'slack: listener failed');
      throw error;
    });
    if (config.appToken) {
      await app.start();
      this.#health = { ready: true, detail: 'Socket Mode' };
    } else {
      this.#server = (await app.start({ port: config.port, host: this.options.host ?? parley.config.HOST })) as Server;
      this.#health = { ready: true, detail: `Events API on port ${this.port} at /slack/events` };
    }
    this.#app = app;
    logger.info(this.#health.detail);
    this.#catchUp = this.#postUnattended(parley, threads, logger);
  }

  /**
   * Conversations handed off while no desk ran (tagged `unattended`) get their thread now, the
   * oldest first and at most UNATTENDED_CATCH_UP of them, in the background: the channel rate
   * limit makes each post wait its turn. Their tag stays until an agent takes them.
   */
  async #postUnattended(parley: Parley, threads: SlackThreads, logger: Logger): Promise<void> {
    try {
      const ids = await parley.unattended.waiting(UNATTENDED_CATCH_UP);
      for (const id of ids) {
        if (this.#stopping) return;
        await threads.ensure(id);
      }
      if (ids.length) logger.info({ conversations: ids.length }, 'slack: posted the conversations that waited unattended');
    } catch (error) {
      logger.error({ err: error }, 'slack: could not post the conversations that waited unattended');
    }
  }

  #subscribe(parley: Parley, threads: SlackThreads): void {
    const { events, desk, agentText: text } = parley;
    const actor = async (by: string) => {
      const agentId = by.startsWith('agent:') ? by.slice(6) : undefined;
      const agent = agentId ? await parley.db.prisma.agent.findUnique({ where: { id: agentId } }) : null;
      return agent ? (agent.slackUserId ? `<@${agent.slackUserId}>` : agent.name) : by;
    };
    events.subscribe('conversation.handed_off', 'slack', async (event) => threads.handOff(event));
    events.subscribe('conversation.customer_message', 'slack', async (event) => {
      await threads.ensure(event.conversationId);
      await threads.sync(event.conversationId);
      await desk.unsnooze(event.conversationId, 'customer');
    });
    events.subscribe('conversation.reopened', 'slack', async (event, context) => {
      await threads.notice(event.conversationId, text.t('slack.reopened'), `reopened:${context.jobId}`);
      await threads.refreshCard(event.conversationId);
    });
    events.subscribe('conversation.resolved', 'slack', async (event, context) => {
      await threads.notice(event.conversationId, text.t('slack.resolved_by', { who: await actor(event.by) }), `resolved:${context.jobId}`);
      await threads.refreshCard(event.conversationId);
    });
    events.subscribe('conversation.assigned', 'slack', async (event) => threads.refreshCard(event.conversationId));
    events.subscribe('conversation.snoozed', 'slack', async (event, context) => {
      if (!event.until) await threads.notice(event.conversationId, text.t('slack.snooze_over'), `unsnoozed:${context.jobId}`);
      await threads.refreshCard(event.conversationId);
    });
    events.subscribe('conversation.handed_back', 'slack', async (event, context) => {
      await threads.notice(event.conversationId, text.t('slack.handed_back_by', { who: await actor(event.by) }), `handed_back:${context.jobId}`);
      await threads.refreshCard(event.conversationId);
    });
    events.subscribe('flow.start_requested', 'slack', async (event, context) => {
      await threads.notice(event.conversationId, text.t('slack.flow_requested', { flow: event.flowId, who: await actor(event.by) }), `flow:${context.jobId}`);
    });
  }

  /** ✅ on an agent's Slack message once the customer has it, ❌ and the reason if it failed. */
  #trackDelivery(parley: Parley, threads: SlackThreads, poster: SlackPoster): void {
    parley.jobs.register('slack:delivery', DeliveryJobSchema, async (job) => {
      const { messageId, status, reason } = job.payload;
      const post = await parley.db.prisma.slackPost.findUnique({ where: { messageId } });
      if (!post) return;
      if (status === 'failed') {
        await poster.react(post.channelId, post.ts, 'x');
        const thread = await parley.db.prisma.slackThread.findFirst({
          where: { conversationId: post.conversationId, channelId: post.channelId },
          orderBy: { id: 'desc' },
        });
        if (thread) {
          const text = parley.agentText;
          await threads.notice(thread, text.t('slack.not_delivered', { reason: reason ?? text.t('slack.no_reason') }), `failed:${messageId}`);
        }
      } else {
        await poster.react(post.channelId, post.ts, 'white_check_mark');
      }
    });
    this.#unsubscribe = parley.dispatcher.onDeliveryChange((change) => {
      if (change.status !== 'delivered' && change.status !== 'read' && change.status !== 'failed') return;
      const outcome = change.status === 'failed' ? 'failed' : 'ok';
      void parley.db
        .write(async (tx) => {
          const post = await tx.slackPost.findUnique({ where: { messageId: change.messageId }, select: { kind: true } });
          if (post?.kind !== 'agent') return;
          await scheduleJobs(tx, parley.db.dialect, [
            {
              kind: 'slack:delivery',
              laneKey: `slack-delivery:${change.conversationId}`,
              payload: { messageId: change.messageId, status: change.status, reason: change.reason },
              dedupKey: `slack-delivery:${change.messageId}:${outcome}`,
            },
          ]);
        })
        .then(() => parley.jobs.notify())
        .catch((error: unknown) => parley.logger.error({ err: error }, 'slack: could not schedule the delivery reaction'));
    });
  }

  /** Slack's auth.test (https://api.slack.com/methods/auth.test): who the bot token is; nothing is posted. */
  async verify(): Promise<string> {
    const client = new webApi.WebClient(this.config.botToken, { slackApiUrl: this.config.apiUrl, retryConfig: { retries: 0 } });
    try {
      const auth = await client.auth.test();
      return `bot ${auth.user ?? auth.user_id} in workspace ${auth.team ?? auth.team_id}`;
    } catch (error) {
      throw new Error(`Slack refused SLACK_BOT_TOKEN: ${(error as { data?: { error?: string } }).data?.error ?? (error as Error).message}`, { cause: error });
    }
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#catchUp;
    this.#unsubscribe?.();
    await this.#app?.stop();
    this.#app = undefined;
    this.#health = { ready: false, detail: 'stopped' };
  }
}
