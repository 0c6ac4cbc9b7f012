import type { SkipReason } from '../contact/policy.ts';
import type { Prisma as PrismaClient } from '../db/database.ts';

/** A campaign's flow start queued its first message: the recipient's message, for the results. */
export async function recordCampaignFlowStart(tx: PrismaClient, recipientId: string, messageId: string): Promise<void> {
  await tx.campaignRecipient.updateMany({ where: { id: recipientId, messageId: null }, data: { messageId } });
}

/**
 * A campaign's flow start was refused when its job ran (an agent took the conversation after it
 * was queued: the bot never talks over a person): the recipient is skipped with the reason
 * rather than left queued. Its contact stays counted, erring towards contacting less.
 */
export async function skipCampaignFlowStart(tx: PrismaClient, recipientId: string, reason: SkipReason): Promise<void> {
  await tx.campaignRecipient.updateMany({ where: { id: recipientId, status: 'queued', messageId: null }, data: { status: 'skipped', skipReason: reason } });
}
