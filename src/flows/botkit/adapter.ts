import { type Activity, BotAdapter, type ConversationReference, type ResourceResponse, TurnContext } from 'botbuilder-core';
import type { Turn } from '../../pipeline/handler.ts';
import { activityOf, contentOf, handoffRequestOf, type QuickReply, quickRepliesOf } from './activity.ts';

const PARLEY_TURN = Symbol('parley.turn');
const OFFERED = Symbol('parley.offered');
const HANDED_OFF = Symbol('parley.handedOff');
const SENT = Symbol('parley.sent');

/** The Parley turn a Botkit turn context was made for. */
export function parleyTurnOf(context: TurnContext): Turn {
  const turn = context.turnState.get(PARLEY_TURN) as Turn | undefined;
  if (!turn) throw new Error('this Botkit turn did not come from Parley: proactive messages are not supported by the Botkit bridge');
  return turn;
}

/** The choices of the last message sent in this turn; undefined when nothing was sent. */
export const offeredIn = (context: TurnContext): QuickReply[] | undefined => context.turnState.get(OFFERED) as QuickReply[] | undefined;

export const handedOffIn = (context: TurnContext): boolean => context.turnState.get(HANDED_OFF) === true;

/**
 * A Bot Framework adapter whose "channel" is a Parley turn: the customer's message comes in
 * as a message activity, and every activity the bot sends becomes `turn.reply(...)` (so it
 * goes through the outbox with the turn's commit) or, for a `handoff.initiate` event,
 * `turn.handOff(...)`, after which the turn sends nothing more.
 */
export class ParleyBotkitAdapter extends BotAdapter {
  /** Runs `logic` (e.g. Botkit's handleTurn) for a Parley turn. */
  async runTurn(turn: Turn, logic: (context: TurnContext) => Promise<void>): Promise<void> {
    const context = new TurnContext(this, activityOf(turn));
    context.turnState.set(PARLEY_TURN, turn);
    await this.runMiddleware(context, logic);
  }

  async sendActivities(context: TurnContext, activities: Partial<Activity>[]): Promise<ResourceResponse[]> {
    const turn = parleyTurnOf(context);
    return activities.map((activity) => {
      const sent = ((context.turnState.get(SENT) as number | undefined) ?? 0) + 1;
      context.turnState.set(SENT, sent);
      const handoff = handoffRequestOf(activity);
      if (handoff) {
        turn.handOff(handoff);
        context.turnState.set(HANDED_OFF, true);
      } else if (handedOffIn(context)) {
        // Once handed to people the bot must not talk over them (a dialog may run on after the event).
        turn.logger.debug({ conversationId: turn.conversation.id }, 'botkit: message after hand-off not sent');
      } else {
        const content = contentOf(activity, turn.capabilities, turn.locale);
        if (content) {
          turn.reply(content);
          context.turnState.set(OFFERED, quickRepliesOf(activity));
        }
      }
      // Parley's own message ids are assigned when the turn commits; this one is only for Botkit.
      return { id: `${turn.message.id}/${sent}` };
    });
  }

  async updateActivity(): Promise<void> {
    throw new Error('the Botkit bridge cannot edit a sent message: Parley channels do not support it');
  }

  async deleteActivity(): Promise<void> {
    throw new Error('the Botkit bridge cannot delete a sent message: Parley channels do not support it');
  }

  async continueConversation(reference: Partial<ConversationReference>): Promise<void> {
    throw new Error(`the Botkit bridge cannot start a turn by itself (conversation ${reference.conversation?.id ?? '?'}): dialogs run on customer messages`);
  }
}
