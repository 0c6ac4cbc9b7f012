// The Botkit bridge: teams with Botkit dialogs run them as Parley flows (README: "Bringing Botkit dialogs").
export { HANDOFF_EVENT, handOff } from './activity.ts';
export { ParleyBotkitAdapter } from './adapter.ts';
export { type BotkitDialogs, defineBotkitDialogs, loadBotkitDialogs } from './dialogs.ts';
export { BotkitDialogHandler, type BotkitDialogHandlerOptions, type BotkitSession, botkitDialogHandlerFromModule, botkitHandlers } from './handler.ts';
export { type DialogBot, FlowsBesideBotkit, flowsBesideBotkit } from './beside.ts';
export { ParleyBotkitStorage } from './storage.ts';
