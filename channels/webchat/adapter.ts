import { webchatCapabilities } from './capabilities.ts';
import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { ChannelAdapter, ChannelContext, ChannelHealth, SendResult } from '../../src/core/channel.ts';
import { UserError } from '../../src/core/errors.ts';
import { detectLocale } from '../../src/core/locale.ts';
import type { OutboundMessage } from '../../src/core/message.ts';
import { widgetBundle } from './bundle.ts';
import { EmailContinuity } from './email-continuity.ts';
import { WebchatFiles } from './files.ts';
import { OfficeHours } from './hours.ts';
import { Hub } from './hub.ts';
import { VisitorTokens } from './identity.ts';
import { WindowLimiter } from './limits.ts';
import { webchatRoutes } from './routes.ts';
import type { WebchatRuntime } from './runtime.ts';
import { WebchatService } from './service.ts';
import type { WebchatSettings } from './settings.ts';
import { Transcripts } from './transcript.ts';

/** How often pages connected here catch up on replies another Parley process stored. */
const CATCH_UP_MS = 3000;

/**
 * The website chat: replies are kept in the visitor's transcript (durable channel state) and
 * pushed to the pages connected to this process; a page that was away fetches them on reconnect.
 */
export class WebchatAdapter implements ChannelAdapter {
  readonly name = 'webchat';
  readonly capabilities = webchatCapabilities;
  /** A resend of the same messageId finds its transcript entry and adds nothing. */
  readonly idempotentSends = true;
  #runtime: WebchatRuntime | undefined;
  #emailContinuity: EmailContinuity | undefined;
  #catchUp: NodeJS.Timeout | undefined;

  constructor(
    readonly settings: WebchatSettings,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async start(context: ChannelContext): Promise<void> {
    const secret = this.settings.secret ?? (await this.#storedSecret(context));
    const transcripts = new Transcripts(context.state, this.settings.keepMessages);
    const hub = new Hub();
    const files = new WebchatFiles(context.dataDir, secret);
    const emailContinuity = new EmailContinuity(context, transcripts, this.settings.emailAfterMs);
    this.#emailContinuity = emailContinuity;
    const service = new WebchatService({
      context,
      settings: this.settings,
      transcripts,
      hub,
      files,
      emailContinuity,
      visitorMessages: new WindowLimiter(this.settings.messageRate),
      ipMessages: new WindowLimiter(this.settings.ipMessageRate),
      now: this.now,
    });
    this.#runtime = {
      context,
      settings: this.settings,
      tokens: new VisitorTokens(secret),
      transcripts,
      hub,
      files,
      hours: new OfficeHours(this.settings.routingConfig, this.settings.team),
      service,
      sessions: new WindowLimiter(this.settings.sessionRate),
      visitorUploads: new WindowLimiter(this.settings.messageRate),
      now: this.now,
    };
    this.#catchUp = setInterval(
      () => void this.#catchUpConnected().catch((error: unknown) => context.logger.warn({ err: error }, 'webchat: catch-up failed')),
      CATCH_UP_MS,
    );
    this.#catchUp.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#catchUp);
  }

  health(): ChannelHealth {
    return {
      ready: this.#runtime !== undefined,
      detail: this.#runtime
        ? `on by default, needs no credentials; widget at /webchat/widget.js${this.settings.demo ? ', demo at /webchat/demo' : ''}; WEBCHAT_ENABLED=false turns it off`
        : 'not started',
    };
  }

  /** `parley doctor`: there are no credentials; it proves the widget builds and the office hours read. */
  async verify(): Promise<string> {
    const bundle = await widgetBundle();
    new OfficeHours(this.settings.routingConfig, this.settings.team);
    return `no credentials needed; widget builds (${Math.round(bundle.gzip.length / 1024)} KB gzipped)${this.settings.allowedOrigins.length ? '' : '; WEBCHAT_ALLOWED_ORIGINS is unset, so any site may embed it'}`;
  }

  async send(message: OutboundMessage): Promise<SendResult> {
    const rt = this.#started();
    const { content } = message;
    const { entry, added } = await rt.transcripts.append(message.recipient, {
      from: message.authorKind === 'agent' ? 'agent' : 'bot',
      at: this.now().toISOString(),
      messageId: message.messageId,
      text: content.text,
      authorName: message.authorKind === 'agent' ? message.authorName : undefined,
      buttons: content.buttons,
      list: content.list,
      attachments: content.attachments.length
        ? content.attachments.map((a) => ({ kind: a.kind, url: rt.files.link(a.url), name: a.fileName, mimeType: a.mimeType, caption: a.caption }))
        : undefined,
      locale: detectLocale(content.text),
    });
    if (added) rt.hub.publish(message.recipient, [entry]);
    // Scheduled once per message (the job's key), also when a resend finds the entry stored.
    await this.#emailContinuity?.schedule(message);
    return { externalId: message.messageId };
  }

  /** Runs the email continuity check scheduled for an agent's reply. */
  async retry(payload: unknown): Promise<void> {
    if (!this.#emailContinuity) throw new Error('webchat adapter is not started');
    await this.#emailContinuity.run(payload);
  }

  /** Routes at /webchat (not under /webhooks): the plugin skips Fastify's prefix and mounts its own. */
  readonly webhooks: FastifyPluginAsync = Object.assign(
    async (app: Parameters<FastifyPluginAsync>[0]) => {
      await app.register(
        webchatRoutes(() => this.#started()),
        { prefix: '/webchat' },
      );
    },
    { [Symbol.for('skip-override')]: true },
  );

  #started(): WebchatRuntime {
    if (!this.#runtime) throw new UserError('the website chat is starting; try again in a moment', 503);
    return this.#runtime;
  }

  /** A signing key made once and kept in the channel state, so tokens outlive restarts. */
  async #storedSecret(context: ChannelContext): Promise<string> {
    const stored = await context.state.get('secret');
    if (typeof stored === 'string' && stored.length >= 32) return stored;
    const made = randomBytes(32).toString('base64url');
    await context.state.set('secret', made);
    return made;
  }

  async #catchUpConnected(): Promise<void> {
    const rt = this.#runtime;
    if (!rt) return;
    for (const [address, last] of rt.hub.connected()) {
      const transcript = await rt.transcripts.read(address);
      if (last === undefined) rt.hub.mark(address, transcript.last);
      else
        rt.hub.publish(
          address,
          transcript.entries.filter((e) => e.seq > last),
        );
    }
  }
}
