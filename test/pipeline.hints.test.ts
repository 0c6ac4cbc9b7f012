import { describe, expect, it } from 'vitest';
import { LaneHints } from '../src/pipeline/lane-hints.ts';

describe('lane hints', () => {
  it('hands out hinted lanes to one batch at a time and scans at least once per interval', () => {
    let now = 0;
    const hints = new LaneHints(1_000, () => now);
    expect(hints.take(10)).toBeUndefined(); // nothing hinted: scan
    hints.add(['a', 'b', 'a']);
    now = 10;
    expect(hints.take(1)).toEqual(['a']);
    // A second loop gets the other lane, never the one already taken.
    expect(hints.take(10)).toEqual(['b']);
    expect(hints.take(10)).toBeUndefined();
    hints.handled(['a']);
    hints.release(['a']);
    // Lane a had two events: one is still pending.
    expect(hints.take(10)).toEqual(['a']);
    hints.handled(['a']);
    hints.release(['a']);
    hints.forget(['b']);
    hints.release(['b']);
    expect(hints.take(10)).toBeUndefined();
    // Under a steady stream of hints, a scan still comes once the interval has passed.
    hints.add(['c']);
    now = 2_000;
    expect(hints.take(10)).toBeUndefined();
    expect(hints.take(10)).toEqual(['c']);
  });
});
