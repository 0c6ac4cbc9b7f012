import { describe, expect, it } from 'vitest';
import { cachedPing, type DatabasePing } from '../src/db/ping.ts';

/** An inner ping that counts its checks and answers as told. */
function countingPing() {
  const state = { checks: 0, failWith: undefined as Error | undefined, closed: false };
  const ping: DatabasePing = {
    async ping() {
      state.checks += 1;
      if (state.failWith) throw state.failWith;
    },
    async close() {
      state.closed = true;
    },
  };
  return { state, ping };
}

describe('cachedPing (readiness under load)', () => {
  it('answers from a fresh result, refreshes in the background once it ages, and waits for a live check when stale', async () => {
    let clock = 0;
    const { state, ping } = countingPing();
    const cached = cachedPing(ping, { freshMs: 2_000, refreshAfterMs: 500, now: () => clock });
    await cached.ping();
    expect(state.checks).toBe(1);
    clock = 400;
    await cached.ping();
    expect(state.checks).toBe(1);
    clock = 900;
    await cached.ping(); // answered from the cache; a refresh starts beside it
    await Promise.resolve();
    expect(state.checks).toBe(2);
    state.failWith = new Error('connection refused');
    clock = 5_000; // older than freshMs: the caller waits for the live answer, and sees the failure
    await expect(cached.ping()).rejects.toThrow('connection refused');
    expect(state.checks).toBe(3);
  });

  it('keeps a failure no longer than a success, and forgets everything on close', async () => {
    let clock = 0;
    const { state, ping } = countingPing();
    const cached = cachedPing(ping, { freshMs: 2_000, refreshAfterMs: 500, now: () => clock });
    state.failWith = new Error('down');
    await expect(cached.ping()).rejects.toThrow('down');
    state.failWith = undefined;
    clock = 2_500;
    await cached.ping();
    await cached.close();
    expect(state.closed).toBe(true);
    state.failWith = new Error('closed');
    await expect(cached.ping()).rejects.toThrow('closed');
  });
});
