import { type ConversationState, type StatePropertyAccessor, TurnContext } from 'botbuilder-core';
import { Botkit, type BotWorker } from 'botkit';
import type { Logger } from 'pino';
import type { Database } from '../../db/database.ts';
import {
  AcknowledgeHandler,
  type ConversationHandler,
  type HandlerSelector,
  HumanHandledConversation,
  isHumanHandled,
  type Turn,
} from '../../pipeline/handler.ts';
import type { QuickReply } from './activity.ts';
import { activityOf, answerText } from './activity.ts';
import { conversationStateOf, runBotkitTurn } from './botkit-turn.ts';
import { handedOffIn, offeredIn, ParleyBotkitAdapter, parleyTurnOf } from './adapter.ts';
import { type BotkitDialogs, loadBotkitDialogs } from './dialogs.ts';
import { ParleyBotkitStorage } from './storage.ts';

/**
 * Parley's record of the dialog session of a conversation, kept in Botkit's conversation
 * state (the same BotkitState row as the dialog stack, written in the same statement).
 */
export interface BotkitSession {
  readonly dialogId: string;
  readonly status: 'active' | 'completed' | 'handed_off';
  readonly startedAt: string;
  readonly endedAt?: string;
  /** The dialog's variables when it completed: the customer's answers. */
  readonly results?: Readonly<Record<string, unknown>>;
  /** The choices of the last prompt, so a typed "2" or "۲" or the title answers it. */
  readonly offered?: readonly QuickReply[];
}

const WRAPPER_SUFFIX = ':botkit-wrapper';
const RESULTS = Symbol('parley.dialogResults');
const UNHANDLED = Symbol('parley.unhandled');

export interface BotkitDialogHandlerOptions {
  /** Answers messages no dialog takes (after the dialog ended); default the acknowledgement. */
  readonly fallback?: ConversationHandler;
}

/**
 * Runs a team's Botkit dialogs as Parley's bot: one Botkit controller for all conversations,
 * fed by a Parley adapter, its state in Parley's database. A conversation begins the start
 * dialog on its first message to the bot and continues it on each message after; when the
 * dialog ends (or hands off with a `handoff.initiate` event) its session ends, and later
 * messages go to the fallback handler. A reopened conversation begins afresh.
 */
export class BotkitDialogHandler implements ConversationHandler {
  readonly name = 'botkit';
  readonly #state: ConversationState;
  readonly #session: StatePropertyAccessor<BotkitSession | undefined>;

  private constructor(
    private readonly controller: Botkit,
    private readonly adapter: ParleyBotkitAdapter,
    private readonly storage: ParleyBotkitStorage,
    /** The dialog ids: the flows this handler runs. */
    readonly flows: readonly string[],
    readonly startDialog: string,
    private readonly fallback: ConversationHandler,
  ) {
    // Parley's session record is a property of Botkit's own conversation state, so it is read
    // and written with the dialog stack (a second BotState would overwrite the same key).
    this.#state = conversationStateOf(controller);
    this.#session = this.#state.createProperty<BotkitSession | undefined>('parley');
    controller.on('message', (bot: BotWorker) => this.#beginIfFirst(bot));
    for (const id of flows) {
      controller.on(`${id}:after`, async (bot: BotWorker, results: unknown) => {
        (bot.getConfig('context') as TurnContext).turnState.set(RESULTS, results ?? {});
      });
    }
  }

  static async create(db: Database, definition: BotkitDialogs, options: BotkitDialogHandlerOptions = {}): Promise<BotkitDialogHandler> {
    const adapter = new ParleyBotkitAdapter();
    const storage = new ParleyBotkitStorage(db);
    const controller = new Botkit({ adapter, storage, disable_webserver: true, disable_console: true });
    const dialogs = await definition.dialogs(controller);
    const ids = dialogs.map((dialog, index) => {
      if (typeof dialog?.id !== 'string' || typeof (dialog as { ask?: unknown }).ask !== 'function') {
        throw new Error(`Botkit dialogs: entry ${index} returned by dialogs(controller) is not a BotkitConversation`);
      }
      return dialog.id;
    });
    const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
    if (duplicate) throw new Error(`Botkit dialogs: two dialogs have the id "${duplicate}"`);
    const start = definition.start ?? ids[0];
    if (start === undefined) throw new Error('Botkit dialogs: dialogs(controller) returned no dialog');
    if (!ids.includes(start)) throw new Error(`Botkit dialogs: the start dialog "${start}" is not among the dialogs (${ids.join(', ')})`);
    for (const dialog of dialogs) controller.addDialog(dialog);
    return new BotkitDialogHandler(controller, adapter, storage, ids, start, options.fallback ?? new AcknowledgeHandler());
  }

  /**
   * Whether the turn's conversation is in a dialog (its session active), from the state as the
   * batch began. The reads of a batch's turns are one query, and the turn's own run reads no more.
   */
  async hasActiveDialog(turn: Turn): Promise<boolean> {
    const stored = (await this.storage.peek(turn, this.#keyOf(turn))) as { parley?: BotkitSession } | undefined;
    return stored?.parley?.status === 'active';
  }

  /**
   * Drops the conversation's dialog state when the turn's batch commits (a reopened
   * conversation begins afresh); kept even if the rest of the turn fails: the old dialog is over.
   */
  async endDialog(turn: Turn): Promise<void> {
    await this.storage.withTurn(turn, () => this.storage.delete([this.#keyOf(turn)]));
  }

  /** Botkit's key of a conversation's state (its conversation state's storage key). */
  #keyOf(turn: Turn): string {
    const key = this.#state.getStorageKey(new TurnContext(this.adapter, activityOf(turn)));
    if (!key) throw new Error('Botkit bridge: no storage key for the conversation state');
    return key;
  }

  async handle(turn: Turn): Promise<void> {
    // The fallback runs inside withTurn too: if it fails, this turn's state must not be written.
    await this.storage.withTurn(turn, async () => {
      let unhandled = false;
      await this.adapter.runTurn(turn, async (context) => {
        const state = this.#state;
        if (turn.reopened) await state.clear(context);
        const before = await this.#session.get(context);
        context.activity.text = answerText(turn, before?.offered ?? []) ?? '';
        await runBotkitTurn(this.controller, context);
        await this.#session.set(context, await this.#sessionAfter(context, before, turn.message.receivedAt));
        await state.saveChanges(context);
        unhandled = context.turnState.get(UNHANDLED) === true;
      });
      if (unhandled) await this.fallback.handle(turn);
    });
  }

  /** The message event fires when no dialog is active and no trigger took the message. */
  async #beginIfFirst(bot: BotWorker): Promise<void> {
    const context = bot.getConfig('context') as TurnContext;
    if (await this.#session.get(context)) {
      context.turnState.set(UNHANDLED, true);
      return;
    }
    parleyTurnOf(context).logger.debug({ dialog: this.startDialog }, 'botkit: beginning dialog');
    await bot.beginDialog(this.startDialog);
  }

  async #sessionAfter(context: TurnContext, before: BotkitSession | undefined, at: Date): Promise<BotkitSession | undefined> {
    const dialogContext = await this.controller.dialogSet.createContext(context);
    // The stack's first entry is the dialog begun at the top (Botkit's wrapper of it).
    const root = dialogContext.stack[0]?.id;
    const offered = offeredIn(context) ?? before?.offered;
    const withOffered = (session: BotkitSession): BotkitSession =>
      offered && offered.length > 0 ? { ...session, offered } : { ...session, offered: undefined };
    const results = context.turnState.get(RESULTS) as Record<string, unknown> | undefined;
    let session = before;
    // A dialog begun this turn, by the start rule or by a team's own trigger.
    if (root && session?.status !== 'active') session = { dialogId: root.replace(WRAPPER_SUFFIX, ''), status: 'active', startedAt: at.toISOString() };
    if (!session) return undefined;
    if (handedOffIn(context)) {
      if (root) await dialogContext.cancelAllDialogs();
      return withOffered({ ...session, status: 'handed_off', endedAt: at.toISOString(), ...(results ? { results } : {}) });
    }
    if (session.status === 'active' && (!root || results)) {
      return withOffered({ ...session, status: 'completed', endedAt: at.toISOString(), ...(results ? { results } : {}) });
    }
    return withOffered(session);
  }
}

/** The bot is the Botkit handler; conversations with a human stay with the human. */
export function botkitHandlers(bot: BotkitDialogHandler): HandlerSelector {
  const human = new HumanHandledConversation();
  return (conversation) => (isHumanHandled(conversation) ? human : bot);
}

/** The Botkit handler of the dialogs module PARLEY_BOTKIT_DIALOGS names (it runs beside the flows: ./beside.ts). */
export async function botkitDialogHandlerFromModule(db: Database, path: string, ackText: string | undefined, logger: Logger): Promise<BotkitDialogHandler> {
  const bot = await BotkitDialogHandler.create(db, await loadBotkitDialogs(path), { fallback: new AcknowledgeHandler(ackText) });
  logger.info({ module: path, flows: bot.flows, start: bot.startDialog }, 'Botkit dialogs loaded');
  return bot;
}
