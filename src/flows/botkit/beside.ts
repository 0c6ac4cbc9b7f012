import type { FlowEngine } from '../engine.ts';
import { type ConversationHandler, type HandlerSelector, isHumanHandled, type Turn } from '../../pipeline/handler.ts';

/** What the selector needs of the Botkit bridge (BotkitDialogHandler); type-only, so Botkit loads only when configured. */
export interface DialogBot extends ConversationHandler {
  hasActiveDialog(turn: Turn): Promise<boolean>;
  endDialog(turn: Turn): Promise<void>;
}

/**
 * Parley's YAML flows and a team's Botkit dialogs as one bot. A running flow session stays
 * with the flow engine and an active Botkit dialog with Botkit, so neither takes over a
 * customer mid-conversation (a flow's keyword does not hijack a dialog). Otherwise the
 * engine picks a flow as always, and a message no flow takes goes to Botkit (the engine's
 * fallback): it begins the start dialog, or answers with its own fallback once the dialog
 * has run. Conversations a person handles, automated messages and reopened conversations go
 * to the engine, which keeps the person first; a reopened conversation's old dialog ends.
 * Both checks read with the batch (the engine's session load, Botkit's state read): no
 * query of their own.
 */
export class FlowsBesideBotkit implements ConversationHandler {
  readonly name = 'flows+botkit';

  constructor(
    private readonly engine: FlowEngine,
    private readonly bot: DialogBot,
  ) {}

  async handle(turn: Turn): Promise<void> {
    const automated = turn.inbound.automated || turn.inbound.metadata.automated === true;
    if (automated || isHumanHandled(turn.conversation)) return this.engine.handle(turn);
    // Both reads start in the same tick, so the batch's turns share one query each.
    const [inFlow, inDialog] = await Promise.all([this.engine.hasActiveSession(turn), this.bot.hasActiveDialog(turn)]);
    if (inDialog && !inFlow) {
      if (!turn.reopened) return this.bot.handle(turn);
      await this.bot.endDialog(turn);
    }
    return this.engine.handle(turn);
  }
}

/** The handler selector when both run: the engine must have been built with the bot as its fallback. */
export function flowsBesideBotkit(engine: FlowEngine, bot: DialogBot): HandlerSelector {
  const both = new FlowsBesideBotkit(engine, bot);
  return () => both;
}
