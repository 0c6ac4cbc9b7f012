import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SendError, type SendResult } from '../src/core/channel.ts';
import type { Parley } from '../src/runtime.ts';
import { dialects, freshDatabase } from './support/databases.ts';
import { FakeAdapter, settle, testParley } from './support/parley.ts';

type TestDb = Awaited<ReturnType<typeof freshDatabase>>;

const hello = (channel: string, externalId: string, address: string) => ({
  channel,
  externalId,
  sender: { address, addressKind: 'phone' as const },
  text: 'hello',
  raw: {},
});

/** A provider call that hangs until the test lets it answer. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** Polls `check` until it holds; generous, because the machine is busy. Asserts on outcomes, not durations. */
async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(dialects)('outbox isolation and at most one delivery on %s', (dialect) => {
  let db: TestDb;
  const running: Parley[] = [];
  const gates: (() => void)[] = [];

  beforeEach(async () => {
    db = await freshDatabase(dialect);
  });

  afterEach(async () => {
    for (const open of gates.splice(0)) open();
    for (const p of running.splice(0)) await p.stop();
    await db.dispose();
  });

  async function parley(adapters: FakeAdapter[], env: Record<string, string> = {}) {
    const p = await testParley(db, { adapters, env });
    running.push(p);
    await p.startChannels();
    return p;
  }

  it('a running dispatcher sends a retry when it comes due and two replies to one recipient, not at the next poll', { timeout: 90_000 }, async () => {
    const whatsapp = new FakeAdapter('whatsapp');
    let calls = 0;
    whatsapp.behaviour = async (m): Promise<SendResult> => {
      if (++calls === 1) throw new SendError('provider hiccup', { retryable: true, code: '131000' });
      return { externalId: `wamid.${m.messageId}` };
    };
    // Polls an hour apart: anything sent here was found by a hint, a lane's next row or a retry's due time.
    const p = await parley([whatsapp], { PARLEY_POLL_INTERVAL: '1h', PARLEY_SEND_BACKOFF_BASE: '500ms', PARLEY_SEND_BACKOFF_MAX: '1s' });
    p.dispatcher.start();
    await p.inbox.accept(hello('whatsapp', 'w1', '+989121111111'));
    await p.inbox.accept(hello('whatsapp', 'w2', '+989121111111'));
    await p.processor.drain();
    const replies = await db.prisma.outboxItem.count();
    expect(replies).toBeGreaterThanOrEqual(2);
    await eventually(async () => (await db.prisma.outboxItem.count({ where: { status: 'sent' } })) === replies);
    expect(whatsapp.sent.map((s) => s.attempt)).toEqual([1, 2, ...Array.from({ length: replies - 1 }, () => 1)]);
  });

  it('delivers an SMS reply while a WhatsApp send hangs', { timeout: 90_000 }, async () => {
    const whatsapp = new FakeAdapter('whatsapp');
    const sms = new FakeAdapter('sms');
    const hang = gate();
    gates.push(hang.open);
    whatsapp.behaviour = async (m): Promise<SendResult> => {
      await hang.promise;
      return { externalId: `wamid.${m.messageId}` };
    };
    const p = await parley([whatsapp, sms], { PARLEY_SEND_TIMEOUTS: '5m' });
    p.dispatcher.start();
    await p.inbox.accept(hello('whatsapp', 'w1', '+989121111111'));
    await p.processor.drain();
    p.dispatcher.notify();
    await eventually(() => whatsapp.sent.length === 1);

    await p.inbox.accept(hello('sms', 's1', '+989122222222'));
    await p.processor.drain();
    p.dispatcher.notify();
    await eventually(async () => (await db.prisma.outboxItem.count({ where: { channel: 'sms', status: 'sent' } })) === 1);

    expect(sms.sent).toHaveLength(1);
    expect((await db.prisma.outboxItem.findFirstOrThrow({ where: { channel: 'whatsapp' } })).status).toBe('sending');
    hang.open();
    await eventually(async () => (await db.prisma.outboxItem.count({ where: { channel: 'whatsapp', status: 'sent' } })) === 1);
    expect(whatsapp.sent).toHaveLength(1);
  });

  it('aborts a provider call past its deadline and sends it again; the row says the customer may get it twice', { timeout: 60_000 }, async () => {
    const whatsapp = new FakeAdapter('whatsapp');
    let calls = 0;
    whatsapp.behaviour = async (m): Promise<SendResult> => {
      // The first call hangs until the deadline aborts it; the second is answered.
      if (++calls === 1) await new Promise((resolve) => m.signal?.addEventListener('abort', resolve));
      return { externalId: `wamid.${m.messageId}.${calls}` };
    };
    const p = await parley([whatsapp], { PARLEY_SEND_TIMEOUTS: '20s;whatsapp=200ms' });
    await p.inbox.accept(hello('whatsapp', 'w1', '+989121111111'));
    await settle(p);

    const item = await db.prisma.outboxItem.findFirstOrThrow({ include: { message: true } });
    expect(item.status).toBe('sent');
    expect(item.attempts).toBe(2);
    expect(item.lastError).toMatch(/^whatsapp gave no answer within 200 ms .*the customer may get it twice$/);
    expect(item.message.deliveryStatus).toBe('sent');
    expect(whatsapp.sent).toHaveLength(2);
    expect(whatsapp.sent[0]?.signal?.aborted).toBe(true);
  });

  it('sends again a send cut short by a crash, and the row says the customer may get it twice', { timeout: 60_000 }, async () => {
    const crashed = await parley([new FakeAdapter('whatsapp')]);
    await crashed.inbox.accept(hello('whatsapp', 'w1', '+989121111111'));
    await crashed.processor.drain();
    // What a process leaves when it dies during the provider call: the row marked, no lease.
    await db.prisma.outboxItem.updateMany({ data: { status: 'sending', attempts: 1 } });

    const adapter = new FakeAdapter('whatsapp');
    const next = await parley([adapter]);
    await settle(next);

    const item = await db.prisma.outboxItem.findFirstOrThrow({ include: { message: true } });
    expect(adapter.sent.map((s) => s.attempt)).toEqual([2]);
    expect(item.status).toBe('sent');
    expect(item.lastError).toMatch(/^the process making attempt 1 stopped before its result was recorded; .*the customer may get it twice$/);
    expect(item.message.deliveryStatus).toBe('sent');
  });

  it('sends again after a crash when the provider deduplicates by message id', { timeout: 60_000 }, async () => {
    const crashed = await parley([new FakeAdapter('whatsapp')]);
    await crashed.inbox.accept(hello('whatsapp', 'w1', '+989121111111'));
    await crashed.processor.drain();
    await db.prisma.outboxItem.updateMany({ data: { status: 'sending', attempts: 1 } });

    const adapter = Object.assign(new FakeAdapter('whatsapp'), { idempotentSends: true });
    const next = await parley([adapter]);
    await settle(next);

    const item = await db.prisma.outboxItem.findFirstOrThrow();
    expect(adapter.sent.map((s) => s.messageId)).toEqual([item.messageId]);
    expect(adapter.sent[0]?.attempt).toBe(2);
    expect(item.status).toBe('sent');
  });

  it('fails a row whose stored payload is not an outbox payload, with the reason, and sends the others', { timeout: 60_000 }, async () => {
    const adapter = new FakeAdapter('whatsapp');
    const p = await parley([adapter]);
    await p.inbox.accept(hello('whatsapp', 'w1', '+989121111111'));
    await p.inbox.accept(hello('whatsapp', 'w2', '+989122222222'));
    await p.processor.drain();
    const [bad, good] = await db.prisma.outboxItem.findMany({ orderBy: { id: 'asc' } });
    await db.prisma.outboxItem.update({ where: { id: bad?.id }, data: { payload: { content: { text: 42 } } } });
    await settle(p);

    const failed = await db.prisma.outboxItem.findUniqueOrThrow({ where: { id: bad?.id }, include: { message: true } });
    expect(failed.status).toBe('failed');
    expect(failed.lastError).toMatch(new RegExp(`^outbox row ${failed.id} has an invalid payload: content\\.text: `));
    expect(failed.message.failureReason).toBe(failed.lastError);
    expect(adapter.sent.map((m) => m.messageId)).toEqual([good?.messageId]);
  });

  it("does not go on to a lane's next row when its lease could not be renewed; it claims the lane again first", { timeout: 90_000 }, async () => {
    const whatsapp = new FakeAdapter('whatsapp');
    const hang = gate();
    gates.push(hang.open);
    whatsapp.behaviour = async (m): Promise<SendResult> => {
      if (whatsapp.sent.length === 1) await hang.promise;
      return { externalId: `wamid.${m.messageId}` };
    };
    const p = await parley([whatsapp], { PARLEY_LEASE_TTL: '300ms', PARLEY_SEND_TIMEOUTS: '5m' });
    await p.inbox.accept(hello('whatsapp', 'w1', '+989121111111'));
    await p.inbox.accept(hello('whatsapp', 'w2', '+989121111111'));
    await p.processor.drain();
    expect(await db.prisma.outboxItem.count({ where: { laneKey: { contains: '989121111111' } } })).toBeGreaterThanOrEqual(2);
    // The renewals fail (the database refuses them, say) while the first send is in the provider's hands.
    const { leases } = p.dispatcher as unknown as { leases: { renew: () => Promise<string[]> } };
    leases.renew = async () => [];
    const batch = p.dispatcher.runBatch();
    await eventually(() => whatsapp.sent.length === 1);
    await sleep(400);
    hang.open();
    expect((await batch).attempted).toBe(1);
    // The lane's next row was not sent under a lease that may be another process's by now.
    expect(whatsapp.sent).toHaveLength(1);
    await p.dispatcher.drain();
    expect(await db.prisma.outboxItem.count({ where: { status: { not: 'sent' } } })).toBe(0);
  });

  it('renews the lease of a send that outlives it, so another dispatcher does not take it over', { timeout: 90_000 }, async () => {
    const env = { PARLEY_LEASE_TTL: '300ms', PARLEY_SEND_TIMEOUTS: '5m' };
    const slow = new FakeAdapter('whatsapp');
    const hang = gate();
    gates.push(hang.open);
    slow.behaviour = async (m): Promise<SendResult> => {
      await hang.promise;
      return { externalId: `wamid.${m.messageId}` };
    };
    const first = await parley([slow], env);
    const other = new FakeAdapter('whatsapp');
    const second = await parley([other], env);
    await first.inbox.accept(hello('whatsapp', 'w1', '+989121111111'));
    await first.processor.drain();
    const firstBatch = first.dispatcher.runBatch();
    await eventually(() => slow.sent.length === 1);

    // Several lease terms pass while the first send is still in the provider's hands.
    for (let i = 0; i < 5; i++) {
      await sleep(400);
      await second.dispatcher.runBatch();
    }
    hang.open();
    expect((await firstBatch).attempted).toBe(1);

    expect(other.sent).toHaveLength(0);
    expect(slow.sent).toHaveLength(1);
    expect((await db.prisma.outboxItem.findFirstOrThrow()).status).toBe('sent');
  });
});
