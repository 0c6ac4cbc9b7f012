import { z } from 'zod';
import type { ChannelContext } from '../../src/core/channel.ts';
import { OutboundContentSchema, type OutboundMessage } from '../../src/core/message.ts';
import type { Transcripts } from './transcript.ts';

/** The email channel's name in the core: replies go through it, never through its code. */
const EMAIL_CHANNEL = 'email';

/** A scheduled check (a durable channel retry job) whose payload is read back from the database. */
const EmailCheckSchema = z.object({
  kind: z.literal('email-continuity'),
  address: z.string().min(1),
  message: z.object({
    messageId: z.string().min(1),
    conversationId: z.string().min(1),
    content: OutboundContentSchema,
    authorName: z.string().optional(),
  }),
});
type EmailCheck = z.infer<typeof EmailCheckSchema>;

const EmailSchema = z.string().email();
const SeenSchema = z.number().int().nonnegative();

/**
 * Email continuity: an agent's reply to a visitor who gave an email (pre-chat form or verified
 * identity) and whose pages did not report it shown within `afterMs` is queued by email through
 * the core (`context.sendThrough`): stored as the conversation's email message, and the
 * visitor's answer to that email joins the same conversation.
 */
export class EmailContinuity {
  constructor(
    private readonly context: ChannelContext,
    private readonly transcripts: Transcripts,
    private readonly afterMs: number,
  ) {}

  static handles(payload: unknown): boolean {
    return EmailCheckSchema.safeParse(payload).success;
  }

  /** Keeps the email a visitor gave, for replies after they left. */
  async remember(address: string, email: string): Promise<void> {
    if ((await this.context.state.get(`email:${address}`)) !== email) await this.context.state.set(`email:${address}`, email);
  }

  /** Records that a page showed the transcript up to `seq` (delivered or read). */
  async seen(address: string, seq: number): Promise<void> {
    const before = SeenSchema.safeParse(await this.context.state.get(`seen:${address}`));
    if (!before.success || before.data < seq) await this.context.state.set(`seen:${address}`, seq);
  }

  /** Schedules the check for an agent's reply to a visitor who gave an email. */
  async schedule(message: OutboundMessage): Promise<void> {
    if (message.authorKind !== 'agent' || !(await this.#emailOf(message.recipient))) return;
    const payload: EmailCheck = {
      kind: 'email-continuity',
      address: message.recipient,
      message: { messageId: message.messageId, conversationId: message.conversationId, content: message.content, authorName: message.authorName },
    };
    await this.context.retryLater({ key: `email:${message.messageId}`, payload, delayMs: this.afterMs });
  }

  /** The scheduled check: emails the reply unless a page showed it or it was emailed already. */
  async run(payload: unknown): Promise<void> {
    const parsed = EmailCheckSchema.safeParse(payload);
    if (!parsed.success) throw new Error(`webchat: email continuity job payload is not valid: ${parsed.error.issues[0]?.message}`);
    const { address, message } = parsed.data;
    const sentKey = `emailed:${message.messageId}`;
    if ((await this.context.state.get(sentKey)) !== undefined) return;
    const entry = (await this.transcripts.read(address)).entries.find((e) => e.messageId === message.messageId);
    const seen = SeenSchema.safeParse(await this.context.state.get(`seen:${address}`));
    if (entry && seen.success && seen.data >= entry.seq) return;
    const email = await this.#emailOf(address);
    if (!email) return;
    const queued = await this.context.sendThrough(EMAIL_CHANNEL, {
      messageId: message.messageId,
      recipient: email,
      content: message.content,
      authorName: message.authorName,
    });
    if (!queued) {
      this.context.logger.info({ messageId: message.messageId }, 'webchat: the email channel is off; the reply waits in the widget');
      return;
    }
    await this.context.state.set(sentKey, { to: email });
  }

  async #emailOf(address: string): Promise<string | undefined> {
    const stored = EmailSchema.safeParse(await this.context.state.get(`email:${address}`));
    return stored.success ? stored.data : undefined;
  }
}
