import type { Prisma as PrismaClient } from '../db/database.ts';

/** A campaign's flow start queued its first message: the recipient's message, for the results. */
export async function recordCampaignFlowStart(tx: PrismaClient, recipientId: string, messageId: string): Promise<void> {
  await tx.campaignRecipient.updateMany({ where: { id: recipientId, messageId: null }, data: { messageId } });
}
