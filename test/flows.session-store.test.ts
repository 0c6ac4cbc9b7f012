import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Prisma } from '../src/db/database.ts';
import type { SessionState } from '../src/flows/interpreter.ts';
import { abandoned, addRuns, FlowSessionStore, pendingRows, toState, type TurnOfBatch } from '../src/flows/session-store.ts';
import type { BatchScope } from '../src/pipeline/handler.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';

// The flow session store (src/flows/session-store.ts) on its own: what a batch reads, what one
// write stores, and what an update of a running session leaves alone.

const T0 = new Date('2026-03-01T10:00:00Z');
const T1 = new Date('2026-03-01T10:05:00Z');
const REMIND_AT = new Date('2026-03-01T11:05:00Z');

/** A batch as the pipeline makes one: shared values per key, writes run at its commit. */
class RecordingBatch implements BatchScope {
  readonly #shared = new Map<string, unknown>();
  readonly #writes: ((tx: Prisma) => Promise<void>)[] = [];
  constructor(readonly conversationIds: readonly string[]) {}
  shared<T>(key: string, create: () => T): T {
    if (!this.#shared.has(key)) this.#shared.set(key, create());
    return this.#shared.get(key) as T;
  }
  onCommit(write: (tx: Prisma) => Promise<void>): void {
    this.#writes.push(write);
  }
  async commit(db: TestDatabase): Promise<void> {
    await db.write(async (tx) => {
      for (const write of this.#writes) await write(tx);
    });
  }
}

const session = (patch: Partial<SessionState> = {}): SessionState => ({
  id: 's1',
  flowId: 'profile',
  flowVersion: 'v1',
  stepId: 'name',
  status: 'active',
  variables: { city: 'Tehran' },
  retries: 1,
  waiting: 'ask',
  seq: 2,
  reminded: false,
  startedBy: 'trigger',
  ...patch,
});

describe.each(dialects)('the flow session store on %s', (dialect) => {
  let db: TestDatabase;
  let store: FlowSessionStore;

  beforeEach(async () => {
    db = await freshDatabase(dialect);
    store = new FlowSessionStore(db);
    for (const n of [1, 2]) {
      await db.prisma.customer.create({ data: { id: `c${n}`, name: `Customer ${n}`, attributes: {}, tags: [] }, select: { id: true } });
      await db.prisma.channelIdentity.create({
        data: { id: `i${n}`, customerId: `c${n}`, channel: 'whatsapp', address: `+98912000000${n}` },
        select: { id: true },
      });
      await db.prisma.conversation.create({ data: { id: `v${n}`, customerId: `c${n}`, identityId: `i${n}`, channel: 'whatsapp' }, select: { id: true } });
    }
  }, 60_000);
  afterEach(() => db.dispose());

  const turn = (batch: BatchScope, conversation: string, customer: string, now: Date): TurnOfBatch => ({
    batch,
    now,
    conversation: { id: conversation },
    customer: { id: customer },
  });

  it('stores the sessions a batch moved in one write, and a later batch reads the active ones back as they were', async () => {
    const first = new RecordingBatch(['v1', 'v2']);
    expect(await store.ofBatch(first)).toEqual(new Map());
    const timer = { type: 'timer' as const, kind: 'timeout' as const, runAt: REMIND_AT, seq: 2 };
    store.queue(turn(first, 'v1', 'c1', T0), [{ state: session(), result: { state: session(), messages: [], effects: [timer], stats: [] } }]);
    store.queue(turn(first, 'v2', 'c2', T0), [{ state: session({ id: 's2', status: 'completed', waiting: null }), result: undefined }]);
    await first.commit(db);

    const read = await store.ofBatch(new RecordingBatch(['v1', 'v2']));
    expect([...read.keys()]).toEqual(['v1']);
    const stored = read.get('v1')!;
    expect(stored.timerAt).toEqual(REMIND_AT);
    expect(toState(stored)).toEqual(session());
    expect(await db.prisma.flowSession.findUniqueOrThrow({ where: { id: 's2' }, select: { status: true, completedAt: true } })).toEqual({
      status: 'completed',
      completedAt: T0,
    });
  });

  it('reads the sessions once per batch, however many turns ask', async () => {
    const batch = new RecordingBatch(['v1']);
    expect(store.ofBatch(batch)).toBe(store.ofBatch(batch));
  });

  it('an update keeps what the session started with and the timer a run left in place', async () => {
    const first = new RecordingBatch(['v1']);
    const timer = { type: 'timer' as const, kind: 'timeout' as const, runAt: REMIND_AT, seq: 2 };
    store.queue(turn(first, 'v1', 'c1', T0), [{ state: session(), result: { state: session(), messages: [], effects: [timer], stats: [] } }]);
    await first.commit(db);

    const second = new RecordingBatch(['v1']);
    const before = (await store.ofBatch(second)).get('v1')!;
    const moved = session({ variables: { city: 'Shiraz' }, retries: 2 });
    store.queue(turn(second, 'v1', 'c2', T1), [{ state: moved, result: { state: moved, messages: [], effects: [], stats: [] } }], before);
    await second.commit(db);

    const row = await db.prisma.flowSession.findUniqueOrThrow({ where: { id: 's1' } });
    expect(row).toMatchObject({ customerId: 'c1', createdAt: T0, updatedAt: T1, variables: { city: 'Shiraz' }, retries: 2, timerAt: REMIND_AT });
  });

  it('ends a session: abandoned, no longer active, its timer dropped', async () => {
    const rows = pendingRows();
    addRuns(rows, 'v1', 'c1', [{ state: session(), result: undefined }], T0, { id: 's1', seq: 2, timerAt: REMIND_AT });
    await db.write((tx) => store.flush(tx, rows));
    expect((await store.active(db.prisma, 'v1'))?.timerAt).toEqual(REMIND_AT);

    const ending = pendingRows();
    addRuns(ending, 'v1', 'c1', [{ state: abandoned(session()), result: undefined }], T1, { id: 's1', seq: 2, timerAt: REMIND_AT });
    await db.write((tx) => store.flush(tx, ending));
    expect(await store.active(db.prisma, 'v1')).toBeNull();
    expect(await store.get(db.prisma, 's1')).toMatchObject({ status: 'abandoned', waiting: null, timerAt: null, completedAt: T1 });
  });

  it('counts the step events of the runs it stores', async () => {
    const rows = pendingRows();
    const stats = [
      { flowId: 'profile', flowVersion: 'v1', stepId: 'name', kind: 'entered' as const },
      { flowId: 'profile', flowVersion: 'v1', stepId: 'name', kind: 'entered' as const },
    ];
    addRuns(rows, 'v1', 'c1', [{ state: session(), result: { state: session(), messages: [], effects: [], stats } }], T0);
    await db.write((tx) => store.flush(tx, rows));
    const counts = await db.prisma.flowStepCount.findMany({ select: { stepId: true, kind: true, count: true } });
    expect(counts).toEqual([{ stepId: 'name', kind: 'entered', count: 2 }]);
  });
});
