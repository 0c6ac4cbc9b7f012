import { type ConversationState, TurnContext } from 'botbuilder-core';
import { DialogTurnStatus } from 'botbuilder-dialogs';
import type { Botkit, BotkitMessage, BotWorker } from 'botkit';

/**
 * The parts of Botkit's controller its typings mark private. Botkit 4.15 is the last release
 * (no upstream commit since 2022), so these internals are fixed.
 */
interface BotkitInternals {
  readonly conversationState: ConversationState;
  listenForInterrupts(bot: BotWorker, message: BotkitMessage): Promise<unknown>;
  listenForTriggers(bot: BotWorker, message: BotkitMessage): Promise<unknown>;
}

const internals = (controller: Botkit) => controller as unknown as BotkitInternals;

/** Botkit's conversation state: the dialog stack and Parley's session record live in it. */
export const conversationStateOf = (controller: Botkit): ConversationState => internals(controller).conversationState;

/**
 * Botkit's `controller.handleTurn`, step for step, except that an error thrown by a dialog or
 * a handler rejects the returned promise. Botkit's own version runs the turn inside
 * middleware callbacks, where such an error becomes an unhandled rejection and the turn
 * never completes (seen in the tests: the batch waited forever).
 */
export async function runBotkitTurn(controller: Botkit, context: TurnContext): Promise<void> {
  const activity = context.activity;
  const message = {
    ...activity.channelData,
    type: activity.channelData?.botkitEventType ?? activity.type,
    user: activity.from.id,
    text: activity.text,
    channel: activity.conversation.id,
    value: activity.value,
    reference: TurnContext.getConversationReference(activity),
    context,
    incoming_message: activity,
  } as BotkitMessage;
  context.turnState.set('botkitMessage', message);
  const dialogContext = await controller.dialogSet.createContext(context);
  const spawned = await controller.spawn(dialogContext);
  const [bot, ingested] = await runMiddleware(controller.middleware.ingest, spawned, message);
  const [receivingBot, received] = await runMiddleware(controller.middleware.receive, bot, ingested);
  const interrupted = await internals(controller).listenForInterrupts(receivingBot, received);
  if (interrupted === false) {
    const result = await dialogContext.continueDialog();
    if (result.status === DialogTurnStatus.empty) {
      // Botkit's processTriggersAndEvents, with the same care for errors.
      const [interpretingBot, interpreted] = await runMiddleware(controller.middleware.interpret, receivingBot, received);
      const heard = await internals(controller).listenForTriggers(interpretingBot, interpreted);
      if (heard === false) await controller.trigger(interpreted.type, interpretingBot, interpreted);
    }
  }
  await controller.saveState(receivingBot);
}

interface Ware {
  run(bot: BotWorker, message: BotkitMessage, done: (error: unknown, bot: BotWorker, message: BotkitMessage) => void): void;
}

function runMiddleware(ware: unknown, bot: BotWorker, message: BotkitMessage): Promise<[BotWorker, BotkitMessage]> {
  return new Promise((resolve, reject) => {
    (ware as Ware).run(bot, message, (error, nextBot, nextMessage) => (error ? reject(error) : resolve([nextBot, nextMessage])));
  });
}
