import type { Prisma } from '../db/database.ts';
import { conversationLaneKey } from '../pipeline/inbox.ts';
import type { JobDraft } from '../pipeline/jobs.ts';
import { START_JOB } from './triggers.ts';

/**
 * The dedup key of a win-back start: a customer gets a win-back flow once, whichever path
 * starts it (the flow engine's `inactive` trigger or the lifecycle sweep's churned customers),
 * and routing's `Lifecycle.mayWinBack` looks for it to tell who was reached already.
 */
export const winbackKey = (flowId: string, customerId: string): string => `winback:${flowId}:${customerId}`;

/**
 * Which of these customers a win-back with `flowId` has reached already, by any path: the
 * `inactive` trigger, routing's churned sweep or a win-back campaign (their start jobs share
 * `winbackKey`; jobs are never deleted, so the key is a lasting record).
 */
export async function reachedByWinback(client: Prisma, flowId: string, customerIds: readonly string[]): Promise<Set<string>> {
  if (customerIds.length === 0) return new Set();
  const keys = new Map(customerIds.map((id) => [winbackKey(flowId, id), id]));
  const jobs = await client.job.findMany({ where: { dedupKey: { in: [...keys.keys()] } }, select: { dedupKey: true } });
  return new Set(jobs.map((j) => keys.get(j.dedupKey as string) as string));
}

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
