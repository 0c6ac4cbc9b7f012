import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SendError } from '../src/core/channel.ts';
import { parseRetryAfter, retryDelay } from '../src/pipeline/backoff.ts';
import { advances } from '../src/pipeline/outbox.ts';
import { RateLimiter } from '../src/pipeline/rate-limiter.ts';
import type { Parley } from '../src/runtime.ts';
import { dialects, freshDatabase } from './support/databases.ts';
import { FakeAdapter, settle, testParley } from './support/parley.ts';

type TestDb = Awaited<ReturnType<typeof freshDatabase>>;

const hello = (externalId: string, address = '+989121234567') => ({
  channel: 'whatsapp',
  externalId,
  sender: { address, addressKind: 'phone' as const },
  text: 'hello',
  raw: {},
});

describe.each(dialects)('outbox on %s', (dialect) => {
  let db: TestDb;
  const running: Parley[] = [];

  beforeEach(async () => {
    db = await freshDatabase(dialect);
  });

  afterEach(async () => {
    for (const p of running.splice(0)) await p.stop();
    await db.dispose();
  });

  async function parley(adapter: FakeAdapter | undefined, env: Record<string, string> = {}) {
    const p = await testParley(db, { adapters: adapter ? [adapter] : [], env });
    running.push(p);
    await p.startChannels();
    return p;
  }

  it('retries a send that fails twice and then delivers it', async () => {
    const adapter = new FakeAdapter();
    let calls = 0;
    adapter.behaviour = (m) => {
      calls++;
      if (calls <= 2) throw new SendError('provider hiccup', { retryable: true, code: '131000' });
      return { externalId: `wamid.${m.messageId}` };
    };
    const p = await parley(adapter);
    await p.inbox.accept(hello('in1'));
    await settle(p);
    const item = await db.prisma.outboxItem.findFirstOrThrow({ include: { message: true } });
    expect(item.status).toBe('sent');
    expect(item.attempts).toBe(3);
    expect(item.message.deliveryStatus).toBe('sent');
    expect(item.message.externalId).toBe(`wamid.${item.messageId}`);
    expect(adapter.sent.map((s) => s.attempt)).toEqual([1, 2, 3]);
  });

  it('marks a send that always fails as failed with the provider reason after the last attempt', async () => {
    const adapter = new FakeAdapter();
    adapter.behaviour = () => {
      throw new SendError('Service temporarily unavailable', { retryable: true, code: '503' });
    };
    const p = await parley(adapter, { PARLEY_SEND_MAX_ATTEMPTS: '4' });
    await p.inbox.accept(hello('in1'));
    await settle(p);
    const item = await db.prisma.outboxItem.findFirstOrThrow({ include: { message: true } });
    expect(item.status).toBe('failed');
    expect(item.attempts).toBe(4);
    expect(item.lastError).toBe('503: Service temporarily unavailable');
    expect(item.message.deliveryStatus).toBe('failed');
    expect(item.message.failureReason).toBe('503: Service temporarily unavailable');
  });

  it('does not retry a permanent error', async () => {
    const adapter = new FakeAdapter();
    adapter.behaviour = () => {
      throw new SendError('Recipient phone number not in allowed list', { retryable: false, code: '131030' });
    };
    const p = await parley(adapter);
    await p.inbox.accept(hello('in1'));
    await settle(p);
    const item = await db.prisma.outboxItem.findFirstOrThrow();
    expect(item.status).toBe('failed');
    expect(item.attempts).toBe(1);
  });

  it('waits at least as long as Retry-After asks', async () => {
    const adapter = new FakeAdapter();
    adapter.behaviour = () => {
      throw new SendError('rate limited', { retryable: true, retryAfterMs: 60_000 });
    };
    const p = await parley(adapter);
    await p.inbox.accept(hello('in1'));
    await p.processor.drain();
    const before = Date.now();
    await p.dispatcher.runBatch();
    const item = await db.prisma.outboxItem.findFirstOrThrow();
    expect(item.status).toBe('pending');
    expect(item.nextAttemptAt.getTime()).toBeGreaterThanOrEqual(before + 60_000);
    expect((await p.dispatcher.runBatch()).attempted).toBe(0);
  });

  it('keeps later messages to a recipient behind an earlier one being retried', async () => {
    const adapter = new FakeAdapter();
    let failFirst = true;
    adapter.behaviour = (m) => {
      if (failFirst) {
        failFirst = false;
        throw new SendError('timeout', { retryable: true });
      }
      return { externalId: `x-${m.messageId}` };
    };
    const p = await parley(adapter);
    await p.inbox.accept(hello('in1'));
    await p.processor.drain();
    await p.inbox.accept({ ...hello('in2'), text: 'second' });
    await settle(p);
    const sentOrder = adapter.sent.filter((s, i, all) => all.findIndex((t) => t.messageId === s.messageId) === i).map((s) => s.messageId);
    const stored = await db.prisma.message.findMany({ where: { direction: 'outbound' }, orderBy: { id: 'asc' } });
    expect(sentOrder).toEqual(stored.map((m) => m.id));
  });

  it('resumes pending sends after a restart', async () => {
    const first = await parley(undefined);
    await first.inbox.accept(hello('in1'));
    await first.processor.drain();
    await first.dispatcher.runBatch();
    await first.stop();
    running.splice(running.indexOf(first), 1);
    expect((await db.prisma.outboxItem.findFirstOrThrow()).status).toBe('pending');

    const adapter = new FakeAdapter();
    const second = await parley(adapter);
    await settle(second);
    expect(adapter.sent).toHaveLength(1);
    expect((await db.prisma.outboxItem.findFirstOrThrow()).status).toBe('sent');
  });

  it('applies delivery statuses, including one that arrives before the send call returns', async () => {
    const adapter = new FakeAdapter();
    adapter.behaviour = async (m) => {
      // The provider's webhook beats the API response.
      await adapter.context?.reportStatus({ externalId: `wamid.${m.messageId}`, status: 'delivered' });
      return { externalId: `wamid.${m.messageId}` };
    };
    const changes: string[] = [];
    const p = await parley(adapter);
    p.dispatcher.onDeliveryChange((c) => changes.push(c.status));
    await p.inbox.accept(hello('in1'));
    await settle(p);
    const message = await db.prisma.message.findFirstOrThrow({ where: { direction: 'outbound' } });
    expect(message.deliveryStatus).toBe('delivered');
    expect(message.deliveredAt).not.toBeNull();
    expect(await db.prisma.earlyDeliveryStatus.count()).toBe(0);

    await p.dispatcher.reportStatus({ channel: 'whatsapp', externalId: message.externalId as string, status: 'read' });
    await p.dispatcher.reportStatus({ channel: 'whatsapp', externalId: message.externalId as string, status: 'delivered' });
    expect((await db.prisma.message.findUniqueOrThrow({ where: { id: message.id } })).deliveryStatus).toBe('read');
    expect(changes).toEqual(['sent', 'delivered', 'read']);
  });

  it('respects a per-recipient rate limit', async () => {
    const adapter = new FakeAdapter();
    const p = await parley(adapter, { PARLEY_RATE_LIMITS: 'whatsapp:recipient=1/200ms' });
    for (let i = 0; i < 3; i++) await p.inbox.accept({ ...hello(`in${i}`), text: `m${i}` });
    await p.processor.drain();
    await p.processor.drain();
    await p.processor.drain();
    const started = Date.now();
    const times: number[] = [];
    adapter.behaviour = (m) => {
      times.push(Date.now() - started);
      return { externalId: m.messageId };
    };
    await p.dispatcher.drain();
    expect(times).toHaveLength(3);
    expect(times[2] as number).toBeGreaterThanOrEqual(350);
  });
});

describe('delivery status order', () => {
  it('moves forward only, and failed never overrides read', () => {
    expect(advances('pending', 'sent')).toBe(true);
    expect(advances('delivered', 'sent')).toBe(false);
    expect(advances('read', 'delivered')).toBe(false);
    expect(advances('sent', 'failed')).toBe(true);
    expect(advances('read', 'failed')).toBe(false);
    expect(advances('failed', 'delivered')).toBe(false);
  });
});

describe('retry delay', () => {
  it('doubles up to the maximum with jitter and honours Retry-After', () => {
    const at = (attempt: number, random: number) => retryDelay(attempt, { baseMs: 1000, maxMs: 10_000, random: () => random });
    expect(at(1, 0)).toBe(500);
    expect(at(1, 1)).toBe(1000);
    expect(at(3, 1)).toBe(4000);
    expect(at(10, 1)).toBe(10_000);
    expect(retryDelay(1, { baseMs: 1000, maxMs: 10_000, retryAfterMs: 30_000, random: () => 1 })).toBe(30_000);
  });
});

describe('Retry-After', () => {
  it('reads delay-seconds and HTTP dates, and nothing else', () => {
    const now = Date.parse('2026-12-05T12:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Sat, 05 Dec 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sat, 05 Dec 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('rate limiter', () => {
  it('allows a burst of the bucket size, then spaces sends', () => {
    let now = 0;
    const limiter = new RateLimiter(() => now);
    const limits = { perChannel: { count: 2, perMs: 1000 } };
    expect(limiter.tryTake('sms', 'a', limits)).toBe(0);
    expect(limiter.tryTake('sms', 'b', limits)).toBe(0);
    expect(limiter.tryTake('sms', 'c', limits)).toBe(500);
    now = 500;
    expect(limiter.tryTake('sms', 'c', limits)).toBe(0);
  });
});
