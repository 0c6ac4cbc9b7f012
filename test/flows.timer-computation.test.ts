import { describe, expect, it } from 'vitest';
import type { Effect, RunResult, SessionState } from '../src/flows/interpreter.ts';
import { timerAtOf, timerInput } from '../src/flows/timers.ts';

// Which timer a session keeps after a run (src/flows/timers.ts), without an engine or a database.

const T1 = new Date('2026-03-01T10:00:00Z');
const T2 = new Date('2026-03-01T11:00:00Z');
const T3 = new Date('2026-03-01T12:00:00Z');

const session = (patch: Partial<SessionState> = {}): SessionState => ({
  id: 's1',
  flowId: 'f',
  flowVersion: 'v1',
  stepId: 'ask',
  status: 'active',
  variables: {},
  retries: 0,
  waiting: 'ask',
  seq: 3,
  reminded: false,
  startedBy: 'trigger',
  ...patch,
});
const ran = (state: SessionState, effects: Effect[]): RunResult => ({ state, messages: [], effects, stats: [] });
const timer = (runAt: Date, seq: number, kind: 'timeout' | 'wait' = 'timeout'): Effect => ({ type: 'timer', kind, runAt, seq });

describe('timerAtOf', () => {
  const cases: { name: string; state: SessionState; effects: Effect[]; before?: { id: string; seq: number; timerAt: Date | null }; expected: Date | null }[] = [
    { name: 'the timer the run set for where the session waits', state: session(), effects: [timer(T1, 3)], expected: T1 },
    { name: 'the last of several timers set for the same seq', state: session(), effects: [timer(T1, 3), timer(T2, 3)], expected: T2 },
    { name: 'a timer set for an earlier seq (a step the run left) is not the session’s', state: session(), effects: [timer(T1, 2)], expected: null },
    { name: 'a wait step’s timer', state: session({ waiting: 'wait' }), effects: [timer(T3, 3, 'wait')], expected: T3 },
    {
      name: 'no timer set, same session and seq: the one it had is kept',
      state: session(),
      effects: [],
      before: { id: 's1', seq: 3, timerAt: T2 },
      expected: T2,
    },
    {
      name: 'no timer set, the session moved on (seq changed): none',
      state: session(),
      effects: [],
      before: { id: 's1', seq: 2, timerAt: T2 },
      expected: null,
    },
    { name: 'no timer set, another session was read: none', state: session(), effects: [], before: { id: 's0', seq: 3, timerAt: T2 }, expected: null },
    { name: 'no timer set and nothing read before: none', state: session(), effects: [], expected: null },
    { name: 'a completed session has no timer', state: session({ status: 'completed', waiting: null }), effects: [timer(T1, 3)], expected: null },
    {
      name: 'an abandoned session has no timer',
      state: session({ status: 'abandoned' }),
      effects: [],
      before: { id: 's1', seq: 3, timerAt: T1 },
      expected: null,
    },
    { name: 'an active session that waits for nothing has no timer', state: session({ waiting: null }), effects: [timer(T1, 3)], expected: null },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(timerAtOf(c.state, ran(c.state, c.effects), c.before)).toEqual(c.expected);
    });
  }

  it('keeps the timer it had when the run produced no result', () => {
    expect(timerAtOf(session(), undefined, { id: 's1', seq: 3, timerAt: T1 })).toEqual(T1);
  });
});

describe('timerInput', () => {
  it('feeds the interpreter the timer kind and the seq it was set at', () => {
    expect(timerInput({ sessionId: 's1', seq: 4, timer: 'wait' })).toEqual({ kind: 'timer', timer: 'wait', seq: 4 });
    expect(timerInput({ sessionId: 's1', seq: 0, timer: 'timeout' })).toEqual({ kind: 'timer', timer: 'timeout', seq: 0 });
  });
});
