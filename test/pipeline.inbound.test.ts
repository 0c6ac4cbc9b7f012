import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InboundMessage } from '../src/core/message.ts';
import { AcknowledgeHandler, type ConversationHandler, type Turn } from '../src/pipeline/handler.ts';
import type { Parley } from '../src/runtime.ts';
import { dialects, freshDatabase } from './support/databases.ts';
import { settle, testParley } from './support/parley.ts';

type TestDb = Awaited<ReturnType<typeof freshDatabase>>;

const text = (channel: string, from: string, externalId: string, body: string, name?: string): InboundMessage => ({
  channel,
  externalId,
  sender: { address: from, addressKind: channel === 'email' ? 'email' : 'phone', displayName: name },
  text: body,
  raw: { body },
});

describe.each(dialects)('inbound pipeline on %s', (dialect) => {
  let db: TestDb;
  const running: Parley[] = [];

  beforeEach(async () => {
    db = await freshDatabase(dialect);
  });

  afterEach(async () => {
    for (const p of running.splice(0)) await p.stop();
    await db.dispose();
  });

  async function parley(options: Parameters<typeof testParley>[1] = {}) {
    const p = await testParley(db, options);
    running.push(p);
    return p;
  }

  it('stores 200 concurrent messages twice-delivered exactly once, in order per conversation, with two workers sharing the database', async () => {
    const order = new Map<string, string[]>();
    const active = new Set<string>();
    let overlaps = 0;
    const recording: ConversationHandler = {
      name: 'recording',
      async handle(turn: Turn) {
        if (active.has(turn.conversation.id)) overlaps++;
        active.add(turn.conversation.id);
        await new Promise((r) => setTimeout(r, Math.random() * 3));
        order.set(turn.conversation.id, [...(order.get(turn.conversation.id) ?? []), turn.message.text ?? '']);
        turn.reply({ text: `ack ${turn.message.text}` });
        active.delete(turn.conversation.id);
      },
    };
    // Two Parley instances on one database stand for two processes.
    const a = await parley({ handlers: () => recording, env: { PARLEY_BATCH_SIZE: '7', PARLEY_WORKER_CONCURRENCY: '2' } });
    const b = await parley({ handlers: () => recording, env: { PARLEY_BATCH_SIZE: '5', PARLEY_WORKER_CONCURRENCY: '2' } });
    a.processor.start();
    b.processor.start();

    const customers = Array.from({ length: 20 }, (_, i) => `+98912000${String(i).padStart(4, '0')}`);
    const results = await Promise.all(
      customers.map(async (phone, c) => {
        const outcomes: string[] = [];
        for (let m = 0; m < 10; m++) {
          const message = text('whatsapp', phone, `wamid.${c}.${m}`, `c${c} m${m}`);
          // The provider retries: the same event arrives twice, once through each process.
          const [first, retry] = await Promise.all([a.inbox.accept(message), b.inbox.accept(message)]);
          outcomes.push(first.status, retry.status);
        }
        return outcomes;
      }),
    );
    const flat = results.flat();
    expect(flat.filter((s) => s === 'accepted')).toHaveLength(200);
    expect(flat.filter((s) => s === 'duplicate')).toHaveLength(200);

    await waitFor(async () => (await db.prisma.inboxEvent.count({ where: { status: 'pending' } })) === 0);
    await a.processor.stop();
    await b.processor.stop();

    expect(await db.prisma.inboxEvent.count()).toBe(200);
    expect(await db.prisma.message.count({ where: { direction: 'inbound' } })).toBe(200);
    expect(await db.prisma.message.count({ where: { direction: 'outbound' } })).toBe(200);
    expect(await db.prisma.outboxItem.count()).toBe(200);
    expect(await db.prisma.customer.count()).toBe(20);
    expect(await db.prisma.conversation.count()).toBe(20);
    expect(overlaps).toBe(0);
    for (const [conversationId, texts] of order) {
      const c = texts[0]?.split(' ')[0];
      expect(texts).toEqual(Array.from({ length: 10 }, (_, m) => `${c} m${m}`));
      const stored = await db.prisma.message.findMany({ where: { conversationId }, orderBy: { id: 'asc' } });
      expect(stored.map((s) => s.text)).toEqual(texts.flatMap((t) => [t, `ack ${t}`]));
    }
  });

  it('finds one customer behind any way of writing a phone number', async () => {
    const p = await parley();
    await p.startChannels();
    await p.inbox.accept(text('whatsapp', '+98 912 123 4567', 'x1', 'hi', 'Ali'));
    await p.inbox.accept(text('whatsapp', '۰۹۱۲-۱۲۳-۴۵۶۷', 'x2', 'again'));
    await p.inbox.accept(text('whatsapp', '00989121234567', 'x3', 'and again'));
    await settle(p);
    const customers = await db.prisma.customer.findMany({ include: { identities: true } });
    expect(customers).toHaveLength(1);
    expect(customers[0]?.name).toBe('Ali');
    expect(customers[0]?.identities.map((i) => i.address)).toEqual(['+989121234567']);
    expect(await db.prisma.conversation.count()).toBe(1);
  });

  it('acknowledges in the language of the first message and remembers it', async () => {
    const p = await parley({ handlers: () => new AcknowledgeHandler() });
    await p.startChannels();
    await p.inbox.accept(text('whatsapp', '+971501234567', 'ar1', 'مرحبا، لدي مشكلة في الطلب'));
    await p.inbox.accept(text('whatsapp', '+989121234567', 'fa1', 'سلام، یک سوال دارم'));
    await settle(p);
    const replies = await db.prisma.message.findMany({ where: { direction: 'outbound' }, include: { conversation: { include: { customer: true } } } });
    const byLocale = Object.fromEntries(replies.map((r) => [r.conversation.customer.locale, r.text]));
    expect(byLocale.ar).toMatch(/شكرًا/);
    expect(byLocale.fa).toMatch(/ممنون/);
  });

  it('learns the language of a customer whose first message did not tell it', async () => {
    const p = await parley({ handlers: () => new AcknowledgeHandler() });
    await p.startChannels();
    await p.inbox.accept(text('email', 'sara@example.com', 'n1', '12345'));
    await settle(p);
    expect((await db.prisma.customer.findFirstOrThrow()).locale).toBeNull();
    await p.inbox.accept(text('email', 'sara@example.com', 'n2', 'چطور سفارش بدهم؟'));
    await settle(p);
    expect((await db.prisma.customer.findFirstOrThrow()).locale).toBe('fa');
    const last = await db.prisma.message.findFirstOrThrow({ where: { direction: 'outbound' }, orderBy: { id: 'desc' } });
    expect(last.text).toMatch(/ممنون/);
  });

  it('rejects a malformed event with a message that names the field', async () => {
    const p = await parley();
    await expect(
      p.inbox.accept({ channel: 'whatsapp', externalId: '', sender: { address: '+98912', addressKind: 'phone' }, text: 'x', raw: {} }),
    ).rejects.toThrow(/externalId/);
    await expect(p.inbox.accept({ channel: 'whatsapp', externalId: 'e', sender: { address: '+989121234567', addressKind: 'phone' }, raw: {} })).rejects.toThrow(
      /needs text, an attachment/,
    );
  });

  it('keeps an event whose sender address is unusable, marked failed with the reason', async () => {
    const p = await parley();
    const result = await p.inbox.accept(text('whatsapp', 'not-a-number', 'bad1', 'hello'));
    expect(result.status).toBe('accepted');
    await settle(p);
    const event = await db.prisma.inboxEvent.findFirstOrThrow({ where: { externalId: 'bad1' } });
    expect(event.status).toBe('failed');
    expect(event.error).toMatch(/not-a-number/);
    expect(await db.prisma.message.count()).toBe(0);
  });

  it('stores the message even when the handler fails, and records why', async () => {
    const p = await parley({ handlers: () => ({ name: 'broken', handle: async () => Promise.reject(new Error('flow file missing')) }) });
    await p.inbox.accept(text('whatsapp', '+989121234567', 'h1', 'hello'));
    await settle(p);
    const event = await db.prisma.inboxEvent.findFirstOrThrow();
    expect(event.status).toBe('done');
    expect(event.error).toBe('handler broken failed: flow file missing');
    expect(await db.prisma.message.count({ where: { direction: 'inbound' } })).toBe(1);
    expect(await db.prisma.outboxItem.count()).toBe(0);
  });

  it('reopens a resolved conversation within the window and links a new one after it', async () => {
    let now = new Date('2026-11-01T10:00:00Z');
    const p = await parley({ now: () => now, env: { PARLEY_REOPEN_WINDOW: '24h' } });
    await p.inbox.accept(text('whatsapp', '+989121234567', 'r1', 'first'));
    await p.processor.drain();
    const first = await db.prisma.conversation.findFirstOrThrow();
    await db.prisma.conversation.update({ where: { id: first.id }, data: { status: 'resolved', resolvedAt: now } });

    now = new Date('2026-11-01T20:00:00Z');
    await p.inbox.accept(text('whatsapp', '+989121234567', 'r2', 'within the window'));
    await p.processor.drain();
    const reopened = await db.prisma.conversation.findMany();
    expect(reopened).toHaveLength(1);
    expect(reopened[0]?.status).toBe('bot');
    expect(reopened[0]?.resolvedAt).toBeNull();

    await db.prisma.conversation.update({ where: { id: first.id }, data: { status: 'resolved', resolvedAt: now } });
    now = new Date('2026-11-03T20:00:00Z');
    await p.inbox.accept(text('whatsapp', '+989121234567', 'r3', 'days later'));
    await p.processor.drain();
    const all = await db.prisma.conversation.findMany({ orderBy: { id: 'asc' } });
    expect(all).toHaveLength(2);
    expect(all[1]?.previousId).toBe(first.id);
    expect(all[1]?.status).toBe('bot');
  });

  it('keeps one conversation per channel for a customer on several channels', async () => {
    const p = await parley();
    await p.inbox.accept(text('whatsapp', '+989121234567', 'w1', 'on whatsapp'));
    await p.inbox.accept(text('email', 'Sara@Example.com', 'e1', 'by email', 'Sara'));
    await p.processor.drain();
    const identities = await db.prisma.channelIdentity.findMany({ orderBy: { channel: 'asc' } });
    expect(identities.map((i) => [i.channel, i.address])).toEqual([
      ['email', 'sara@example.com'],
      ['whatsapp', '+989121234567'],
    ]);
    expect(await db.prisma.conversation.count()).toBe(2);
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
