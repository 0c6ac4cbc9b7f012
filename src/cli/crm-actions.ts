// What the customer and conversation commands run (src/cli/crm.ts), imported only when one runs.
export { agentTextOf } from '../agent-text/agent-text.ts';
export { renderAsText } from '../core/render.ts';
export { NotFoundError } from '../core/errors.ts';
export { churnScore, explainChurn } from '../crm/churn.ts';
export { conversationMessages, findConversation, listConversations } from '../crm/conversations.ts';
export { customer360, searchCustomers } from '../crm/customers.ts';
export { setKeyCustomer } from '../crm/key-customers.ts';
export { listMerges, mergeCustomers, unmerge } from '../crm/merges.ts';
export { decideSuggestion, listSuggestions, type SuggestionStatus } from '../crm/suggestions.ts';
export { changeTags, listTags, type Taggable } from '../crm/tags.ts';
export { conversationRef } from '../desk/desk.ts';
export { authorLabel, formatCustomer360, formatMerge } from './customer-view.ts';
export { printJson, withDatabase } from './context.ts';
export { unreadPhoneReason } from '../core/address.ts';
