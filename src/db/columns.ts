import type { ChannelIdentity, Conversation, Customer, InboxEvent, OutboxItem } from '../generated/sqlite/client.ts';
import type { ColumnKind } from './bulk-insert.ts';
import type { ReadKind } from './sql.ts';

/**
 * Every column list the raw SQL of the hot path reads or writes, in one place, each with the
 * Prisma model it belongs to (RAW_SQL_COLUMNS). test/db.columns.test.ts checks every list
 * against the generated data model (names and types), so a renamed or retyped column fails a
 * test rather than a query in production.
 */
export type Columns<Model> = { readonly [K in keyof Model]-?: ReadKind | 'text' };

// The inbound processor reads these whole (checked against the generated model types too).

export const INBOX_EVENT: Columns<InboxEvent> = {
  id: 'text',
  channel: 'text',
  externalId: 'text',
  laneKey: 'text',
  payload: 'json',
  status: 'text',
  attempts: 'integer',
  error: 'text',
  receivedAt: 'timestamp',
  processedAt: 'timestamp',
};

export const CUSTOMER: Columns<Customer> = {
  id: 'text',
  name: 'text',
  searchName: 'text',
  locale: 'text',
  lifecycleStage: 'text',
  attributes: 'json',
  tags: 'json',
  isKey: 'boolean',
  keyReason: 'text',
  keySource: 'text',
  firstSeenAt: 'timestamp',
  lastSeenAt: 'timestamp',
  mergedIntoId: 'text',
  createdAt: 'timestamp',
  updatedAt: 'timestamp',
};

export const IDENTITY: Columns<ChannelIdentity> = {
  id: 'text',
  customerId: 'text',
  channel: 'text',
  address: 'text',
  displayName: 'text',
  optedOutAt: 'timestamp',
  createdAt: 'timestamp',
};

export const CONVERSATION: Columns<Conversation> = {
  id: 'text',
  customerId: 'text',
  identityId: 'text',
  channel: 'text',
  status: 'text',
  teamId: 'text',
  assigneeId: 'text',
  priority: 'text',
  subject: 'text',
  previousId: 'text',
  ref: 'text',
  subjectKey: 'text',
  tags: 'json',
  createdAt: 'timestamp',
  lastMessageAt: 'timestamp',
  firstResponseAt: 'timestamp',
  resolvedAt: 'timestamp',
};

// Columns a new customer, identity or conversation is written with; the others take their defaults.

export const NEW_CUSTOMER = {
  id: 'text',
  name: 'text',
  searchName: 'text',
  locale: 'text',
  attributes: 'json',
  tags: 'json',
  firstSeenAt: 'timestamp',
  lastSeenAt: 'timestamp',
  createdAt: 'timestamp',
  updatedAt: 'timestamp',
} as const;

export const NEW_IDENTITY = { id: 'text', customerId: 'text', channel: 'text', address: 'text', displayName: 'text', createdAt: 'timestamp' } as const;

export const NEW_CONVERSATION = {
  id: 'text',
  customerId: 'text',
  identityId: 'text',
  channel: 'text',
  subject: 'text',
  previousId: 'text',
  ref: 'text',
  subjectKey: 'text',
  teamId: 'text',
  createdAt: 'timestamp',
  lastMessageAt: 'timestamp',
} as const;

export const MESSAGE_COLUMNS = {
  id: 'text',
  conversationId: 'text',
  channel: 'text',
  direction: { enum: 'Direction' },
  authorKind: { enum: 'AuthorKind' },
  agentId: 'text',
  text: 'text',
  attachments: 'json',
  interactiveReplyId: 'text',
  location: 'json',
  replyToExternalId: 'text',
  externalId: 'text',
  deliveryStatus: { enum: 'DeliveryStatus' },
  createdAt: 'timestamp',
} as const;

export const OUTBOX_COLUMNS = {
  id: 'text',
  messageId: 'text',
  channel: 'text',
  recipient: 'text',
  laneKey: 'text',
  payload: 'json',
  nextAttemptAt: 'timestamp',
  createdAt: 'timestamp',
  updatedAt: 'timestamp',
} as const;

export const JOB_COLUMNS = {
  id: 'text',
  kind: 'text',
  laneKey: 'text',
  payload: 'json',
  runAt: 'timestamp',
  dedupKey: 'text',
  createdAt: 'timestamp',
} as const;

export const INBOX_COLUMNS = { id: 'text', channel: 'text', externalId: 'text', laneKey: 'text', payload: 'json', receivedAt: 'timestamp' } as const;

export const SESSION_COLUMNS = {
  id: 'text',
  conversationId: 'text',
  customerId: 'text',
  flowId: 'text',
  flowVersion: 'text',
  stepId: 'text',
  status: { enum: 'FlowSessionStatus' },
  variables: 'json',
  retries: 'integer',
  waiting: 'text',
  seq: 'integer',
  reminded: 'boolean',
  startedBy: 'text',
  createdAt: 'timestamp',
  updatedAt: 'timestamp',
  completedAt: 'timestamp',
  timerAt: 'timestamp',
} as const;

export const FIRING_COLUMNS = { id: 'text', ruleId: 'text', causeKey: 'text', at: 'timestamp', data: 'json' } as const;

export const CHANGE_COLUMNS = {
  id: 'text',
  customerId: 'text',
  fromStage: { enum: 'LifecycleStage' },
  toStage: { enum: 'LifecycleStage' },
  reasons: 'json',
  at: 'timestamp',
} as const;

export const TEAM_COLUMNS = { id: 'text', name: 'text', createdAt: 'timestamp' } as const;

/** Model and column list of every raw SQL statement, for the check against the Prisma models. */
/** The outbox dispatcher reads its rows whole. */
export const OUTBOX_ITEM: Columns<OutboxItem> = {
  id: 'text',
  messageId: 'text',
  channel: 'text',
  recipient: 'text',
  laneKey: 'text',
  payload: 'json',
  status: 'text',
  attempts: 'integer',
  nextAttemptAt: 'timestamp',
  lastError: 'text',
  createdAt: 'timestamp',
  updatedAt: 'timestamp',
};

export const RECIPIENT_COLUMNS = {
  id: 'text',
  campaignId: 'text',
  variantId: 'text',
  run: 'integer',
  customerId: 'text',
  channel: 'text',
  address: 'text',
  timeZone: 'text',
  dueAt: 'timestamp',
  status: { enum: 'CampaignRecipientStatus' },
  skipReason: 'text',
  conversationId: 'text',
  createdAt: 'timestamp',
} as const;

export const RAW_SQL_COLUMNS: readonly (readonly [model: string, columns: Readonly<Record<string, ColumnKind | ReadKind | 'text'>>])[] = [
  ['InboxEvent', INBOX_EVENT],
  ['Customer', CUSTOMER],
  ['ChannelIdentity', IDENTITY],
  ['Conversation', CONVERSATION],
  ['Customer', NEW_CUSTOMER],
  ['ChannelIdentity', NEW_IDENTITY],
  ['Conversation', NEW_CONVERSATION],
  ['Message', MESSAGE_COLUMNS],
  ['OutboxItem', OUTBOX_COLUMNS],
  ['OutboxItem', OUTBOX_ITEM],
  ['Job', JOB_COLUMNS],
  ['InboxEvent', INBOX_COLUMNS],
  ['FlowSession', SESSION_COLUMNS],
  ['AlertFiring', FIRING_COLUMNS],
  ['LifecycleChange', CHANGE_COLUMNS],
  ['Team', TEAM_COLUMNS],
  ['CampaignRecipient', RECIPIENT_COLUMNS],
];
