import { conversationLaneKey } from '../pipeline/inbox.ts';
import type { JobDraft } from '../pipeline/jobs.ts';
import { START_JOB } from './triggers.ts';

/**
 * The dedup key of a win-back start: a customer gets a win-back flow once, whichever path
 * starts it (the flow engine's `inactive` trigger or the lifecycle sweep's churned customers),
 * and routing's `Lifecycle.mayWinBack` looks for it to tell who was reached already.
 */
export const winbackKey = (flowId: string, customerId: string): string => `winback:${flowId}:${customerId}`;

/** A customer a win-back would reach, on the channel of their last conversation. */
export interface WinbackTarget {
  readonly customerId: string;
  readonly channel: string;
}

/** The job that starts a win-back flow in a customer's last conversation (once per customer, by its dedup key). */
export const winbackStartJob = (
  flowId: string,
  customerId: string,
  conversation: { id: string; channel: string; identity: { address: string } },
  now: Date,
): JobDraft => ({
  kind: START_JOB,
  laneKey: conversationLaneKey(conversation),
  payload: { flowId, conversationId: conversation.id, by: 'schedule' },
  runAt: now,
  dedupKey: winbackKey(flowId, customerId),
});
