import type { Logger } from 'pino';
import type { ChannelCapabilities } from '../core/channel.ts';
import type { Locale } from '../core/locale.ts';
import type { OutboundContent, ParsedInboundMessage } from '../core/message.ts';
import type { Database, Prisma } from '../db/database.ts';
import type { ChannelIdentity, Conversation, Customer } from '../generated/sqlite/client.ts';
import type { ConversationStatus, Priority } from '../generated/sqlite/enums.ts';

export interface ConversationPatch {
  status?: ConversationStatus;
  teamId?: string | null;
  assigneeId?: string | null;
  priority?: Priority;
  subject?: string | null;
}

/**
 * One inbound message, handed to whoever handles its conversation. Everything a handler
 * asks for (replies, conversation changes, its own writes) is committed in one transaction
 * with the message itself, so a crash never leaves half a turn.
 */
export interface Turn {
  readonly message: {
    readonly id: string;
    readonly externalId: string;
    readonly text: string | undefined;
    readonly interactiveReplyId: string | undefined;
    readonly receivedAt: Date;
  };
  readonly inbound: ParsedInboundMessage;
  readonly customer: Readonly<Customer>;
  readonly identity: Readonly<ChannelIdentity>;
  readonly conversation: Readonly<Conversation>;
  readonly isNewCustomer: boolean;
  readonly isNewConversation: boolean;
  readonly reopened: boolean;
  /** What the channel can render; undefined when the channel is not running in this process. */
  readonly capabilities: ChannelCapabilities | undefined;
  /** The customer's locale from their record, else told from this message, else the default. */
  readonly locale: Locale;
  readonly db: Database;
  readonly logger: Logger;
  reply(content: OutboundContent): void;
  updateConversation(patch: ConversationPatch): void;
  onCommit(write: (tx: Prisma) => Promise<void>): void;
}

export interface ConversationHandler {
  readonly name: string;
  handle(turn: Turn): Promise<void>;
}

/** Picks the handler for a conversation in its current state (bot, agents, ...). */
export type HandlerSelector = (conversation: Readonly<Conversation>) => ConversationHandler;

const DEFAULT_ACK: Record<string, string> = {
  en: 'Thanks for your message! We have received it and will get back to you shortly.',
  fa: 'ممنون از پیام شما! پیامتان رسید و به‌زودی پاسخ می‌دهیم.',
  ar: 'شكرًا لرسالتك! لقد وصلتنا وسنرد عليك قريبًا.',
};

/** The default bot: acknowledges each message, in the customer's language. */
export class AcknowledgeHandler implements ConversationHandler {
  readonly name = 'acknowledge';

  constructor(private readonly text?: string) {}

  async handle(turn: Turn): Promise<void> {
    if (turn.inbound.automated) return;
    turn.reply({ text: this.text ?? DEFAULT_ACK[turn.locale] ?? (DEFAULT_ACK.en as string) });
  }
}

/**
 * Conversations a human handles: the message is stored and waits for the agent; the bot
 * stays silent so it never talks over a person.
 */
export class HumanHandledConversation implements ConversationHandler {
  readonly name = 'human';

  async handle(): Promise<void> {}
}

export function defaultHandlers(ackText?: string): HandlerSelector {
  const bot = new AcknowledgeHandler(ackText);
  const human = new HumanHandledConversation();
  return (conversation) => (conversation.status === 'bot' || conversation.status === 'resolved' ? bot : human);
}
