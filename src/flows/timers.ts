import { z } from 'zod';
import type { Database } from '../db/database.ts';
import type { FlowSession } from '../generated/sqlite/client.ts';
import { conversationLaneKey } from '../pipeline/inbox.ts';
import { type JobDraft, scheduleJobs } from '../pipeline/jobs.ts';
import type { Effect, RunInput, RunResult, SessionState } from './interpreter.ts';

/**
 * Session timers (an ask's reminder and give-up, the end of a `wait`): a session has at most
 * one, kept in its row's `timerAt`; once due it becomes a flow.timer job on the customer's lane.
 */
export const TIMER_JOB = 'flow.timer';
export const TimerJobSchema = z.object({ sessionId: z.string(), seq: z.number().int(), timer: z.enum(['timeout', 'wait']) });
export type TimerJob = z.infer<typeof TimerJobSchema>;
/** Due session timers turned into jobs per job-runner round. */
const DUE_TIMERS_PER_ROUND = 100;

/** A session as it was read, for keeping its timer when a run leaves it where it was. */
export type Before = Pick<FlowSession, 'id' | 'seq' | 'timerAt'>;

/** What a due timer job feeds the interpreter. */
export const timerInput = (job: TimerJob): RunInput => ({ kind: 'timer', timer: job.timer, seq: job.seq });

/**
 * When a session's timer fires: the timer its run set for where it now waits, else the one it
 * had when the run left it where it was (same seq), else none (it ended or stopped waiting).
 */
export function timerAtOf(state: SessionState, result: RunResult | undefined, before: Before | undefined): Date | null {
  if (state.status !== 'active' || !state.waiting) return null;
  const effects = result?.effects ?? [];
  for (let i = effects.length - 1; i >= 0; i--) {
    const effect = effects[i] as Effect;
    if (effect.type === 'timer' && effect.seq === state.seq) return effect.runAt;
  }
  return before && before.id === state.id && before.seq === state.seq ? before.timerAt : null;
}

/**
 * A job source: turns the session timers due by `now` into flow.timer jobs on the customer's
 * inbound lane, so they run under that lane's lease and in its order like any lane job, and
 * clears them from their sessions. A session that moved since it was read keeps its new timer.
 */
export async function queueDueTimers(db: Database, now: Date): Promise<void> {
  const due = await db.prisma.flowSession.findMany({
    where: { timerAt: { lte: now }, status: 'active' },
    select: { id: true, seq: true, waiting: true, updatedAt: true, conversation: { select: { channel: true, identity: { select: { address: true } } } } },
    orderBy: { timerAt: 'asc' },
    take: DUE_TIMERS_PER_ROUND,
  });
  if (due.length === 0) return;
  await db.write(async (tx) => {
    const drafts: JobDraft[] = [];
    for (const session of due) {
      const taken = await tx.flowSession.updateMany({
        where: { id: session.id, seq: session.seq, status: 'active', timerAt: { lte: now } },
        data: { timerAt: null },
      });
      if (taken.count === 0) continue;
      drafts.push({
        kind: TIMER_JOB,
        laneKey: conversationLaneKey(session.conversation),
        payload: { sessionId: session.id, seq: session.seq, timer: session.waiting === 'wait' ? 'wait' : 'timeout' },
        runAt: now,
        // The session was last written when it set this timer: the job stands in the lane
        // where it would have, had it been made then.
        queuedAt: session.updatedAt,
      });
    }
    await scheduleJobs(tx, db.dialect, drafts, now);
  });
}
