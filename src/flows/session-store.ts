import { bulkInsert } from '../db/bulk-insert.ts';
import { SESSION_COLUMNS } from '../db/columns.ts';
import type { Database, Prisma as PrismaClient } from '../db/database.ts';
import { decodeRows, inList, queryRows, raw, type ReadKind, sql } from '../db/sql.ts';
import type { FlowSession } from '../generated/sqlite/client.ts';
import type { BatchScope } from '../pipeline/handler.ts';
import type { RunResult, SessionState } from './interpreter.ts';
import { addStepCounts, StepCounter } from './stats.ts';
import { type Before, timerAtOf } from './timers.ts';

interface SessionRow {
  id: string;
  conversationId: string;
  customerId: string;
  flowId: string;
  flowVersion: string;
  stepId: string;
  status: 'active' | 'completed' | 'abandoned';
  variables: Record<string, unknown>;
  retries: number;
  waiting: string | null;
  seq: number;
  reminded: boolean;
  startedBy: string;
  createdAt: Date;
  updatedAt: Date;
  completedAt: Date | null;
  timerAt: Date | null;
}

/**
 * What one batch (or one timer or event run) writes for flows, in one statement per table.
 * A session's timer is a column of its row, so setting, moving and dropping timers costs no
 * write of its own.
 */
export interface PendingRows {
  readonly sessions: SessionRow[];
  /** Step events, added to the hourly counters (one row per step, kind and hour, not per event). */
  readonly stats: StepCounter;
}
export const pendingRows = (): PendingRows => ({ sessions: [], stats: new StepCounter() });

/** What the store needs of a turn (a pipeline Turn is one). */
export interface TurnOfBatch {
  readonly batch: BatchScope;
  readonly now: Date;
  readonly conversation: { readonly id: string };
  readonly customer: { readonly id: string };
}

/** A session after one run of its flow (no result: it was only ended). */
export interface SessionRun {
  readonly state: SessionState;
  readonly result: RunResult | undefined;
}

/** The columns a session is resumed from (a turn reads them for the whole batch). */
const SESSION_STATE = {
  id: true,
  conversationId: true,
  flowId: true,
  flowVersion: true,
  stepId: true,
  status: true,
  variables: true,
  retries: true,
  waiting: true,
  seq: true,
  reminded: true,
  startedBy: true,
  timerAt: true,
} as const;
export type StoredSession = Pick<FlowSession, keyof typeof SESSION_STATE>;
const SESSION_STATE_COLUMNS = raw(
  Object.keys(SESSION_STATE)
    .map((c) => `"${c}"`)
    .join(', '),
);
const SESSION_STATE_KINDS: Record<string, ReadKind> = { variables: 'json', retries: 'integer', seq: 'integer', reminded: 'boolean', timerAt: 'timestamp' };

/** Columns an update of a session leaves alone: set when it starts, never changed by a run. */
const SET_AT_START = ['createdAt', 'conversationId', 'customerId', 'flowId', 'flowVersion', 'startedBy'] as const;

export const toState = (row: StoredSession): SessionState => ({
  id: row.id,
  flowId: row.flowId,
  flowVersion: row.flowVersion,
  stepId: row.stepId,
  status: row.status,
  variables: (row.variables ?? {}) as Record<string, unknown>,
  retries: row.retries,
  waiting: (row.waiting as SessionState['waiting']) ?? null,
  seq: row.seq,
  reminded: row.reminded,
  startedBy: row.startedBy,
});

/** A session ended without finishing (a person took over, its flow is gone, another flow replaced it). */
export const abandoned = (state: SessionState): SessionState => ({ ...state, status: 'abandoned', waiting: null });

/** Sessions started outside the customer's own message: they may answer after resolution. */
export const isFollowUp = (startedBy: string) => startedBy.startsWith('event:') || startedBy.startsWith('campaign:') || startedBy === 'schedule';
export const isStartedByPerson = (startedBy: string) => startedBy.startsWith('agent:') || startedBy === 'api';

/**
 * Flow sessions in the database: a batch's active sessions read in one query, and every
 * session a batch (or a job) moved written in one statement with its one pending timer.
 */
export class FlowSessionStore {
  constructor(private readonly db: Database) {}

  /** The active sessions of a batch's conversations by conversation, read once per batch. */
  ofBatch(batch: BatchScope): Promise<Map<string, StoredSession>> {
    return batch.shared('flows.sessions', () => this.#loadActive(batch.conversationIds));
  }

  /** The active session of one conversation (outside a batch: jobs and events). */
  active(prisma: PrismaClient, conversationId: string): Promise<StoredSession | null> {
    return prisma.flowSession.findFirst({ where: { conversationId, status: 'active' } });
  }

  /** One session by id, whatever its status. */
  get(prisma: PrismaClient, sessionId: string): Promise<(StoredSession & { customerId: string }) | null> {
    return prisma.flowSession.findUnique({ where: { id: sessionId } });
  }

  /** Queues a turn's session rows (with their timers) and step events for the batch's single write. */
  queue(turn: TurnOfBatch, runs: readonly SessionRun[], before?: Before): void {
    const pending = turn.batch.shared('flows.pending', () => {
      const rows = pendingRows();
      turn.batch.onCommit((tx) => this.flush(tx, rows));
      return rows;
    });
    addRuns(pending, turn.conversation.id, turn.customer.id, runs, turn.now, before);
  }

  async flush(tx: PrismaClient, rows: PendingRows): Promise<void> {
    const dialect = this.db.dialect;
    // One statement for new and existing sessions. An update leaves what a session starts
    // with: the original createdAt, and no foreign-key check of an unchanged conversation and
    // customer (a customer merge moves sessions: a turn in flight does not move them back).
    await bulkInsert(tx, dialect, 'FlowSession', SESSION_COLUMNS, rows.sessions, { updateConflictsOn: ['id'], keepOnUpdate: SET_AT_START });
    await addStepCounts(tx, dialect, rows.stats.rows());
  }

  /** The batch's active sessions (raw SQL: this runs on every batch, see src/db/sql.ts). */
  async #loadActive(conversationIds: readonly string[]): Promise<Map<string, StoredSession>> {
    const { db } = this;
    const rows = await queryRows(
      db.prisma,
      sql`SELECT ${SESSION_STATE_COLUMNS} FROM "FlowSession"
      WHERE ${inList(db.dialect, sql`"conversationId"`, conversationIds)} AND "status" = 'active' ORDER BY "createdAt"`,
    );
    const sessions = decodeRows<StoredSession>(db.dialect, rows, SESSION_STATE_KINDS);
    return new Map(sessions.map((r) => [r.conversationId, r]));
  }
}

/** Adds the rows of sessions one run moved (each with the timer it now has) and their step events. */
export function addRuns(rows: PendingRows, conversationId: string, customerId: string, runs: readonly SessionRun[], now: Date, before?: Before): void {
  for (const { state, result } of runs) {
    rows.sessions.push(sessionRow(state, conversationId, customerId, now, timerAtOf(state, result, before)));
    if (result) rows.stats.add(result.stats, now);
  }
}

function sessionRow(state: SessionState, conversationId: string, customerId: string, now: Date, timerAt: Date | null): SessionRow {
  return {
    id: state.id,
    conversationId,
    customerId,
    flowId: state.flowId,
    flowVersion: state.flowVersion,
    stepId: state.stepId,
    status: state.status,
    variables: state.variables,
    retries: state.retries,
    waiting: state.waiting,
    seq: state.seq,
    reminded: state.reminded,
    startedBy: state.startedBy,
    createdAt: now,
    updatedAt: now,
    completedAt: state.status === 'active' ? null : now,
    timerAt,
  };
}
