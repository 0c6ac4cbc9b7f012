import type { Prisma as PrismaClient } from '../db/database.ts';
import { checkContact, type ContactPolicy, recordContact } from '../contact/policy.ts';
import { newId } from '../core/ids.ts';

export interface SurveyRequest {
  readonly customerId: string;
  readonly conversationId: string;
  /** The conversation's channel: the survey is asked there. */
  readonly channel: string;
  readonly flowId: string;
  /** The ticket whose closing asked for it. */
  readonly ticketId?: string;
  /** A queued survey being sent now (its row is updated, not a new one written). */
  readonly dispatchId?: string;
  /** An agent holds the conversation: the survey waits for them to resolve it. */
  readonly humanHandled: boolean;
}

/** The conversation's latest hand-off episode: what a survey asked now rates. */
async function latestEpisodeId(tx: PrismaClient, conversationId: string): Promise<string | null> {
  const episode = await tx.conversationSla.findFirst({ where: { conversationId }, orderBy: [{ queuedAt: 'desc' }, { id: 'desc' }], select: { id: true } });
  return episode?.id ?? null;
}

/**
 * Decides and records an automatic survey start (a flow started by conversation.resolved or
 * ticket.closed): queued while an agent holds the conversation, skipped with the contact
 * policy's reason (src/contact/policy.ts: opted out, frequency cap, ...), else started and
 * counted as a contact. Returns whether the flow should start now.
 */
export async function dispatchSurvey(tx: PrismaClient, request: SurveyRequest, policy: ContactPolicy, now: Date): Promise<boolean> {
  const write = async (status: 'queued' | 'started' | 'skipped', reason: string | null) => {
    if (request.dispatchId) {
      await tx.surveyDispatch.update({ where: { id: request.dispatchId }, data: { status, reason, updatedAt: now } });
      return;
    }
    await tx.surveyDispatch.create({
      data: {
        id: newId(),
        customerId: request.customerId,
        conversationId: request.conversationId,
        flowId: request.flowId,
        ticketId: request.ticketId ?? null,
        episodeId: await latestEpisodeId(tx, request.conversationId),
        status,
        reason,
        createdAt: now,
        updatedAt: now,
      },
    });
  };
  if (request.humanHandled) {
    if (!request.dispatchId) await write('queued', null);
    return false;
  }
  const contact = { customerId: request.customerId, channel: request.channel, kind: 'survey' as const };
  const decision = await checkContact(tx, contact, now, policy);
  if (!decision.allowed) {
    await write('skipped', decision.reason);
    return false;
  }
  await recordContact(tx, contact, now);
  await write('started', null);
  return true;
}

/** Surveys waiting for the agent to resolve this conversation. */
export function queuedSurveys(tx: PrismaClient, conversationId: string): Promise<{ id: string; flowId: string }[]> {
  return tx.surveyDispatch.findMany({ where: { conversationId, status: 'queued' }, orderBy: { id: 'asc' }, select: { id: true, flowId: true } });
}

/**
 * What an answer recorded in this conversation rates: the ticket and episode of the survey
 * started last here, or else the conversation's latest episode.
 */
export async function surveyTarget(tx: PrismaClient, conversationId: string): Promise<{ ticketId: string | null; episodeId: string | null }> {
  const dispatch = await tx.surveyDispatch.findFirst({
    where: { conversationId, status: 'started' },
    orderBy: [{ updatedAt: 'desc' }, { id: 'desc' }],
    select: { ticketId: true, episodeId: true },
  });
  if (dispatch) return dispatch;
  return { ticketId: null, episodeId: await latestEpisodeId(tx, conversationId) };
}
