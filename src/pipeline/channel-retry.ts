import { z } from 'zod';
import type { ChannelAdapter } from '../core/channel.ts';
import { type Attachment, AttachmentSchema } from '../core/message.ts';
import type { Database } from '../db/database.ts';
import { type JobRunner, scheduleJobs } from './jobs.ts';

/**
 * Work a channel finishes later, as durable jobs: a media download the provider refused or
 * failed is retried (with the job runner's backoff) after the message itself was stored.
 */

export const CHANNEL_RETRY_JOB = 'channel.retry';
const RetryJobSchema = z.object({ channel: z.string().min(1), payload: z.unknown() });

export interface RetryTask {
  /** Names the work within the channel (e.g. "media:<id>"): the same key is scheduled once. */
  readonly key: string;
  readonly payload: unknown;
  readonly delayMs: number;
}

export async function scheduleChannelRetry(db: Database, channel: string, task: RetryTask, now: Date): Promise<void> {
  const key = `${CHANNEL_RETRY_JOB}:${channel}:${task.key}`;
  const draft = {
    kind: CHANNEL_RETRY_JOB,
    laneKey: key,
    dedupKey: key,
    payload: { channel, payload: task.payload },
    runAt: new Date(now.getTime() + task.delayMs),
  };
  await db.write(async (tx) => {
    await scheduleJobs(tx, db.dialect, [draft], now);
  });
}

/** Runs a retry job on its channel's adapter; a throw makes the runner try again later (and finally fail it with the reason). */
export function registerChannelRetries(jobs: JobRunner, adapterOf: (channel: string) => ChannelAdapter | undefined): void {
  jobs.register(CHANNEL_RETRY_JOB, RetryJobSchema, async (job) => {
    const adapter = adapterOf(job.payload.channel);
    if (!adapter?.retry) throw new Error(`channel ${job.payload.channel} is not running or cannot retry work`);
    await adapter.retry(job.payload.payload);
  });
}

const StoredAttachments = z.array(AttachmentSchema);
const InboxPayloadAttachments = z.looseObject({ attachments: StoredAttachments.default([]) });

/**
 * Replaces the attachments of an inbound message wherever it is stored: the inbox event (for
 * a message not handled yet) and the message row (once handled). False when neither exists yet.
 */
export async function updateInboundAttachments(
  db: Database,
  channel: string,
  externalId: string,
  update: (attachments: Attachment[]) => Attachment[],
): Promise<boolean> {
  return db.write(async (tx) => {
    let found = false;
    const event = await tx.inboxEvent.findUnique({ where: { channel_externalId: { channel, externalId } }, select: { id: true, payload: true } });
    if (event) {
      const payload = InboxPayloadAttachments.parse(event.payload);
      await tx.inboxEvent.update({ where: { id: event.id }, data: { payload: { ...payload, attachments: update(payload.attachments) } } });
      found = true;
    }
    const message = await tx.message.findUnique({ where: { channel_externalId: { channel, externalId } }, select: { id: true, attachments: true } });
    if (message) {
      await tx.message.update({ where: { id: message.id }, data: { attachments: update(StoredAttachments.parse(message.attachments)) } });
      found = true;
    }
    return found;
  });
}
