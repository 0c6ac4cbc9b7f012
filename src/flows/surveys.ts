import type { Prisma as PrismaClient } from '../db/database.ts';
import { parseDuration } from '../core/duration.ts';
import { newId } from '../core/ids.ts';

/** At most `max` automatic surveys per customer within `withinMs` (PARLEY_SURVEY_CONTACT_CAP). */
export interface SurveyCap {
  readonly max: number;
  readonly withinMs: number;
}

/** "1/7d": at most one survey a week; "0/1d" turns automatic surveys off. */
export function parseSurveyCap(value: string): SurveyCap {
  const match = /^\s*(\d+)\s*\/\s*(\S+)\s*$/.exec(value);
  if (!match) throw new Error(`"${value}" is not surveys/duration such as 1/7d`);
  return { max: Number(match[1]), withinMs: parseDuration(match[2]!) };
}

export interface SurveyRequest {
  readonly customerId: string;
  readonly conversationId: string;
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
 * ticket.closed): queued while an agent holds the conversation, skipped with the reason
 * `contact_cap` when the customer already got `cap.max` within the window, else started.
 * Returns whether the flow should start now.
 */
export async function dispatchSurvey(tx: PrismaClient, request: SurveyRequest, cap: SurveyCap, now: Date): Promise<boolean> {
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
  const recent = await tx.surveyDispatch.count({
    where: { customerId: request.customerId, status: 'started', updatedAt: { gt: new Date(now.getTime() - cap.withinMs) } },
  });
  if (recent >= cap.max) {
    await write('skipped', 'contact_cap');
    return false;
  }
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
