import { describe, expect, it } from 'vitest';
import { parseDuration, parseSince } from '../src/core/duration.ts';

const now = new Date('2026-03-15T12:00:00Z');

describe('one duration format', () => {
  it('reads every unit, weeks included', () => {
    expect(['500ms', '30s', '30m', '24h', '7d', '2w'].map(parseDuration)).toEqual([500, 30_000, 1_800_000, 86_400_000, 604_800_000, 1_209_600_000]);
  });

  it('says what a duration looks like when it is not one', () => {
    expect(() => parseDuration('7')).toThrow('"7" is not a duration: use a number and a unit (ms, s, m, h, d, w), e.g. 30m, 24h, 7d, 2w');
    expect(() => parseDuration('7y')).toThrow(/is not a duration/);
  });

  it('reads a since as a duration back from now or as an ISO date', () => {
    expect(parseSince('7d', now).toISOString()).toBe('2026-03-08T12:00:00.000Z');
    expect(parseSince('2w', now).toISOString()).toBe('2026-03-01T12:00:00.000Z');
    expect(parseSince('30m', now).toISOString()).toBe('2026-03-15T11:30:00.000Z');
    expect(parseSince('2026-03-01', now).toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(parseSince('2026-03-01T08:30:00+03:30', now).toISOString()).toBe('2026-03-01T05:00:00.000Z');
  });

  it('rejects a since that is neither, or in the future, saying which forms work', () => {
    expect(() => parseSince('7', now)).toThrow('"7" is neither a duration');
    expect(() => parseSince('last week', now)).toThrow('"last week" is neither a duration (a number and a unit');
    expect(() => parseSince('2026-02-30x', now)).toThrow(/nor an ISO date such as 2026-01-31/);
    expect(() => parseSince('2026-13-01', now)).toThrow(/nor an ISO date/);
    expect(() => parseSince('2027-01-01', now)).toThrow('"2027-01-01" is in the future');
  });
});
