import { describe, expect, it } from 'vitest';
import { OutboxHints } from '../src/pipeline/outbox-hints.ts';
import { RecentInbound } from '../src/pipeline/recent-inbound.ts';

describe('outbox lane hints', () => {
  it('hands each hinted lane out once and skips lanes sending now', () => {
    const hints = new OutboxHints(1_000, () => 1_000);
    hints.add([
      { channel: 'whatsapp', laneKey: 'a' },
      { channel: 'whatsapp', laneKey: 'b' },
      { channel: 'whatsapp', laneKey: 'a' },
      { channel: 'sms', laneKey: 'c' },
    ]);
    expect(hints.take('whatsapp', 5, (lane) => lane === 'a')).toEqual(['b']);
    expect(hints.take('whatsapp', 5, () => false)).toEqual(['a']);
    expect(hints.take('whatsapp', 5, () => false)).toEqual([]);
    expect(hints.take('sms', 0, () => false)).toEqual([]);
  });

  it('walks the queue when asked, when a row it saw comes due, and once per poll interval; not merely because nothing is hinted', () => {
    let now = 1_000;
    const hints = new OutboxHints(1_000, () => now);
    expect(hints.walkDue('whatsapp')).toBe(true);
    // Nothing hinted, nothing asked: a finished send wakes the loop, and no walk follows.
    expect(hints.walkDue('whatsapp')).toBe(false);
    hints.ask(['whatsapp', 'sms']);
    expect(hints.walkDue('whatsapp')).toBe(true);
    expect(hints.walkDue('whatsapp')).toBe(false);
    expect(hints.walkDue('sms')).toBe(true);
    // A retry due in 300 ms: walked then, not before.
    hints.dueIn('whatsapp', 300);
    now += 299;
    expect(hints.walkDue('whatsapp')).toBe(false);
    now += 1;
    expect(hints.walkDue('whatsapp')).toBe(true);
    // Due later than the interval: the interval's walk finds it.
    hints.dueIn('whatsapp', 5_000);
    now += 999;
    expect(hints.walkDue('whatsapp')).toBe(false);
    now += 1;
    expect(hints.walkDue('whatsapp')).toBe(true);
  });

  it('asks for a walk when a hint is dropped because too many lanes are hinted', () => {
    const hints = new OutboxHints(60_000, () => 0);
    expect(hints.walkDue('whatsapp')).toBe(true);
    hints.add(Array.from({ length: 20_000 }, (_, i) => ({ channel: 'whatsapp', laneKey: `lane-${i}` })));
    expect(hints.walkDue('whatsapp')).toBe(false);
    hints.add([{ channel: 'whatsapp', laneKey: 'one-too-many' }]);
    expect(hints.walkDue('whatsapp')).toBe(true);
  });
});

describe('recent inbound times', () => {
  it('answers from a message handled within the hour, never later than the provider time, and asks the database otherwise', async () => {
    let now = new Date('2026-12-06T10:00:00Z');
    const recent = new RecentInbound(() => now);
    let asked = 0;
    const database = async () => {
      asked++;
      return new Date('2026-12-06T09:00:00Z');
    };
    expect(await recent.lastInboundAt('whatsapp', '+1', database)).toEqual(new Date('2026-12-06T09:00:00Z'));
    expect(asked).toBe(1);
    recent.note('whatsapp', '+1', new Date('2026-12-06T09:59:00Z'), '2026-12-06T09:58:00Z');
    expect(await recent.lastInboundAt('whatsapp', '+1', database)).toEqual(new Date('2026-12-06T09:58:00Z'));
    // An older message noted later does not move the time back.
    recent.note('whatsapp', '+1', new Date('2026-12-06T09:30:00Z'));
    expect(await recent.lastInboundAt('whatsapp', '+1', database)).toEqual(new Date('2026-12-06T09:58:00Z'));
    expect(await recent.lastInboundAt('sms', '+1', database)).toEqual(new Date('2026-12-06T09:00:00Z'));
    expect(asked).toBe(2);
    now = new Date('2026-12-06T11:30:00Z');
    await recent.lastInboundAt('whatsapp', '+1', database);
    expect(asked).toBe(3);
  });
});
