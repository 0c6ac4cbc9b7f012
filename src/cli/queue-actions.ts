// What `parley tickets` and `parley messages` run (src/cli/queue.ts), imported only when one runs.
export { parseDuration } from '../core/duration.ts';
export { searchMessages } from '../crm/message-search.ts';
export { listTickets } from '../crm/ticket-list.ts';
export { printJson, userInput, withDatabase } from './context.ts';
export { agentTextOf } from '../agent-text/agent-text.ts';
export { formatMessageHits, formatTickets } from './queue-view.ts';
