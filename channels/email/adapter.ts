import { join } from 'node:path';
import type { Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import { type ChannelAdapter, type ChannelContext, type ChannelHealth, SendError, type SendResult } from '../../src/core/channel.ts';
import { UserError } from '../../src/core/errors.ts';
import type { OutboundMessage } from '../../src/core/message.ts';
import type { EmailConfig, MailboxConfig } from './config.ts';
import { checkImapLogin, type MailLocation, MailboxReader } from './imap.ts';
import { type DecodedMail, decodeMail } from './parse.ts';
import { composeMail, createTransport, sendErrorOf } from './smtp.ts';
import { LoopGuard } from './loop-guard.ts';
import { MailFileStore } from './store.ts';
import { replySubject } from './subject.ts';
import { emailCapabilities } from './capabilities.ts';

const domainOf = (addressOrId: string) => addressOrId.replace(/[<>]/g, '').split('@').at(-1)?.toLowerCase() ?? '';

/** Subject of a conversation that never had one. */
const NO_SUBJECT = 'Your message';

/** Email: each configured mailbox is read over IMAP and answered over SMTP. */
export class EmailAdapter implements ChannelAdapter {
  readonly capabilities = emailCapabilities;
  #context: ChannelContext | undefined;
  #store: MailFileStore | undefined;
  #readers: MailboxReader[] = [];
  #loopGuard: LoopGuard | undefined;
  readonly #transports = new Map<string, Transporter<SMTPPool.SentMessageInfo>>();
  readonly #ownAddresses: ReadonlySet<string>;
  /** Domains of Parley's Message-IDs (see messageIdFor): a bounce names one of them. */
  readonly #ownDomains: ReadonlySet<string>;

  constructor(
    private readonly config: EmailConfig,
    readonly name = 'email',
  ) {
    this.#ownAddresses = new Set(config.mailboxes.map((m) => m.address));
    this.#ownDomains = new Set(config.mailboxes.map((m) => domainOf(m.address)));
  }

  async start(context: ChannelContext): Promise<void> {
    this.#context = context;
    this.#loopGuard = new LoopGuard(context.state, this.config.autoReplyLimit);
    this.#store = new MailFileStore(this.config.attachmentDir ?? join(context.dataDir, 'attachments'));
    this.#readers = this.config.mailboxes.map(
      (mailbox) =>
        new MailboxReader(mailbox, {
          pollIntervalMs: this.config.pollIntervalMs,
          chunkSize: 100,
          chunkBytes: 16 * 1024 * 1024,
          state: context.state,
          logger: context.logger,
          onMails: (mails) => this.#onMails(mailbox, mails),
        }),
    );
    await Promise.all(this.#readers.map((r) => r.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.#readers.map((r) => r.stop()));
    this.#readers = [];
    for (const transport of this.#transports.values()) transport.close();
    this.#transports.clear();
  }

  /** Imports now instead of waiting for IDLE or the poll (tests, benchmarks). */
  async syncAll(): Promise<void> {
    await Promise.all(this.#readers.map((r) => r.sync()));
  }

  /** For `parley doctor`: each mailbox's IMAP login and SMTP greeting and login; nothing is read or sent. */
  async verify(): Promise<string> {
    for (const mailbox of this.config.mailboxes) {
      await checkImapLogin(mailbox);
      const transport = createTransport(mailbox);
      try {
        await transport.verify();
      } catch (error) {
        throw new Error(`${mailbox.name}: SMTP refused at ${mailbox.smtp.host}:${mailbox.smtp.port} (${(error as Error).message})`, { cause: error });
      } finally {
        transport.close();
      }
    }
    return `IMAP and SMTP accepted for ${this.config.mailboxes.map((m) => m.address).join(', ')}`;
  }

  health(): ChannelHealth {
    const states = this.#readers.map((r) => r.health);
    return { ready: states.length > 0 && states.every((s) => s.ready), detail: states.map((s) => s.detail).join('; ') || 'not started' };
  }

  /**
   * Decodes a chunk in parallel, then hands the results to the core in UID order within one
   * tick: the inbox numbers events as they are accepted, so one sender's mails keep their order.
   */
  async #onMails(mailbox: MailboxConfig, mails: readonly { source: Buffer; location: MailLocation }[]): Promise<void> {
    const decoded = await Promise.all(mails.map((m) => this.#decode(mailbox, m.source, m.location)));
    await Promise.all(decoded.map((d, i) => this.#deliver(mailbox, d, (mails[i] as { location: MailLocation }).location)));
  }

  async #decode(mailbox: MailboxConfig, source: Buffer, location: MailLocation): Promise<DecodedMail | undefined> {
    const context = this.#context;
    const store = this.#store;
    if (!context || !store) throw new Error('email adapter is not started');
    try {
      return await decodeMail(source, {
        channel: this.name,
        mailbox,
        ownAddresses: this.#ownAddresses,
        tokenPrefix: this.config.tokenPrefix,
        threadWindowMs: this.config.threadWindowMs,
        attachmentMaxBytes: this.config.attachmentMaxBytes,
        store,
        location,
      });
    } catch (error) {
      // Kept on disk so nothing is lost, then skipped: one broken mail must not block the mailbox.
      const original = await store.writeOriginal(`<undecodable.${location.uidValidity}.${location.uid}@${mailbox.name}>`, source);
      context.logger.error({ err: error, mailbox: mailbox.name, uid: location.uid, original }, 'email: mail could not be decoded; kept on disk and skipped');
      return undefined;
    }
  }

  /** Stores one decoded mail; the core call happens before the first await (see #onMails). */
  #deliver(mailbox: MailboxConfig, decoded: DecodedMail | undefined, location: MailLocation): Promise<unknown> {
    const context = this.#context;
    if (!context) throw new Error('email adapter is not started');
    if (!decoded) return Promise.resolve();
    if (decoded.kind === 'unusable') {
      context.logger.warn({ mailbox: mailbox.name, uid: location.uid, reason: decoded.reason, original: decoded.original }, 'email: mail skipped');
      return Promise.resolve();
    }
    // Reports about delivery never become customers or conversations; the .eml stays on disk.
    if (decoded.kind === 'delay') {
      context.logger.debug(
        { mailbox: mailbox.name, uid: location.uid, format: decoded.format, original: decoded.original },
        'email: delivery-delay warning ignored',
      );
      return Promise.resolve();
    }
    if (decoded.kind === 'bounce') {
      const sent = decoded.originalMessageIds.find((id) => this.#ownDomains.has(domainOf(id)));
      if (!sent) {
        const log = { mailbox: mailbox.name, uid: location.uid, reason: decoded.reason, candidates: decoded.originalMessageIds, original: decoded.original };
        context.logger.warn(log, 'email: bounce names no mail Parley sent; kept on disk');
        return Promise.resolve();
      }
      return context.reportStatus({ externalId: sent, status: 'failed', reason: decoded.reason });
    }
    // A mail the inbox refuses (it fails the inbound schema) is kept on disk as .eml and skipped:
    // retrying it would fail the same way and hold every later mail of the mailbox behind it.
    return context.receive(decoded.message).catch((error: unknown) => {
      if (!(error instanceof UserError)) throw error;
      const log = { mailbox: mailbox.name, uid: location.uid, messageId: decoded.message.externalId, reason: error.message };
      context.logger.error(log, 'email: mail refused by the inbox; kept on disk and skipped');
    });
  }

  #mailboxFor(team: string | null): MailboxConfig {
    return this.config.mailboxes.find((m) => m.team === team) ?? (this.config.mailboxes[0] as MailboxConfig);
  }

  #transport(mailbox: MailboxConfig): Transporter<SMTPPool.SentMessageInfo> {
    let transport = this.#transports.get(mailbox.name);
    if (!transport) {
      transport = createTransport(mailbox);
      this.#transports.set(mailbox.name, transport);
    }
    return transport;
  }

  async send(message: OutboundMessage): Promise<SendResult> {
    const context = this.#context;
    if (!context) throw sendErrorOf(new Error('email adapter is not started'));
    if (message.authorKind === 'bot' || message.authorKind === 'system') {
      const refused = await this.#loopGuard?.take(message.recipient, message.messageId);
      if (refused) throw new SendError(refused, { retryable: false, code: 'loop_guard' });
    }
    const thread = await context.conversationThread(message.conversationId);
    const mailbox = this.#mailboxFor(thread.team);
    const references = thread.externalIds.filter((id) => id.startsWith('<'));
    const inReplyTo = message.replyTo ?? references.at(-1);
    const { messageId, options } = composeMail(message, mailbox, {
      subject: replySubject(thread.subject ?? message.subject ?? null, thread.ref, this.config.tokenPrefix, NO_SUBJECT),
      inReplyTo,
      references: inReplyTo && !references.includes(inReplyTo) ? [...references, inReplyTo] : references,
    });
    try {
      await this.#transport(mailbox).sendMail(options);
    } catch (error) {
      throw sendErrorOf(error);
    }
    return { externalId: messageId };
  }
}
