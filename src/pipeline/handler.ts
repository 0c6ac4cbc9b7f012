import type { Logger } from 'pino';
import type { ChannelCapabilities } from '../core/channel.ts';
import type { DomainEvent } from '../core/events.ts';
import type { Locale } from '../core/locale.ts';
import type { OutboundContent, ParsedInboundMessage } from '../core/message.ts';
import type { Database, Prisma } from '../db/database.ts';
import type { ChannelIdentity, Conversation, Customer } from '../generated/sqlite/client.ts';
import type { ConversationStatus, Priority } from '../generated/sqlite/enums.ts';

export interface HandoffRequest {
  /** Team name; the default team when absent. */
  readonly team?: string;
  readonly priority?: Priority;
  /** Shown to the agent with the customer's card. */
  readonly note?: string;
  /** What the bot learned (answers by name), shown on the card. */
  readonly collected?: Readonly<Record<string, string>>;
}

export interface ConversationPatch {
  status?: ConversationStatus;
  teamId?: string | null;
  assigneeId?: string | null;
  priority?: Priority;
  subject?: string | null;
  resolvedAt?: Date | null;
}

/**
 * What the turns of one batch share, so a handler can read for all of them in one query and
 * write for all of them in one statement (per-turn Prisma queries cost ~0.4 ms each).
 */
export interface BatchScope {
  readonly conversationIds: readonly string[];
  /** One value per batch and key, made by the first turn that asks. */
  shared<T>(key: string, create: () => T): T;
  /** Runs once in the batch's transaction, after every turn's own writes. */
  onCommit(write: (tx: Prisma) => Promise<void>): void;
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
  readonly batch: BatchScope;
  readonly now: Date;
  reply(content: OutboundContent): void;
  updateConversation(patch: ConversationPatch): void;
  /** Passes the conversation to a human: status waiting_for_agent, the desk is told. */
  handOff(request: HandoffRequest): void;
  /**
   * For a message that reopened a resolved conversation: keep it resolved instead (the
   * customer is answering a survey or a follow-up the bot started after resolution).
   */
  keepResolved(): void;
  /** Emitted in the turn's transaction (see core/events.ts). */
  emit(event: DomainEvent): void;
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
 * Conversations a human handles: the message is stored and waits for the agent; the bot never
 * talks over a person. While no person has taken it yet, `holding` may tell the customer
 * when to expect an answer.
 */
export class HumanHandledConversation implements ConversationHandler {
  readonly name = 'human';

  constructor(private readonly holding?: (turn: Turn) => Promise<string | undefined>) {}

  async handle(turn: Turn): Promise<void> {
    turn.emit({ type: 'conversation.customer_message', conversationId: turn.conversation.id, customerId: turn.customer.id, messageId: turn.message.id });
    const text = await this.holding?.(turn);
    if (text) turn.reply({ text });
  }
}

/** Statuses in which a person, not the bot, answers the customer. */
export const HUMAN_STATUSES: readonly ConversationStatus[] = ['waiting_for_agent', 'assigned', 'waiting_for_customer'];
export const isHumanHandled = (conversation: Pick<Conversation, 'status'>): boolean => HUMAN_STATUSES.includes(conversation.status);

export function defaultHandlers(ackText?: string): HandlerSelector {
  const bot = new AcknowledgeHandler(ackText);
  const human = new HumanHandledConversation();
  return (conversation) => (isHumanHandled(conversation) ? human : bot);
}
