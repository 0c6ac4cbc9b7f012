import { afterEach, describe, expect, it } from 'vitest';
import type { InboundMessage } from '../src/core/message.ts';
import type { ConversationHandler } from '../src/pipeline/handler.ts';
import type { Parley } from '../src/runtime.ts';
import { dialects, freshDatabase } from './support/databases.ts';
import { FakeAdapter, settle, testCapabilities, testParley } from './support/parley.ts';

type TestDb = Awaited<ReturnType<typeof freshDatabase>>;
const DAY = 86_400_000;

const mail = (from: string, id: string, thread: InboundMessage['thread'], extra: Partial<InboundMessage> = {}): InboundMessage => ({
  channel: 'email',
  externalId: id,
  sender: { address: from, addressKind: 'email' },
  text: `text of ${id}`,
  thread,
  raw: {},
  ...extra,
});

describe.each(dialects)('conversation threading hints on %s', (dialect) => {
  let db: TestDb;
  let parley: Parley;
  // A clock that runs, moved forward by the tests.
  let offset = 0;
  const now = () => new Date(Date.now() + offset);
  const advance = (ms: number) => {
    offset += ms;
  };

  async function start(handler?: ConversationHandler) {
    db = await freshDatabase(dialect);
    offset = 0;
    const adapter = new FakeAdapter('email', { ...testCapabilities, addressKind: 'email' });
    adapter.behaviour = (m) => ({ externalId: `<out-${m.messageId}@parley>` });
    parley = await testParley(db, { adapters: [adapter], now, handlers: handler ? () => handler : undefined });
    await parley.startChannels();
  }

  async function deliver(message: InboundMessage): Promise<string> {
    await parley.inbox.accept(message);
    await settle(parley);
    const stored = await db.prisma.message.findFirstOrThrow({ where: { channel: 'email', externalId: message.externalId } });
    return stored.conversationId;
  }

  afterEach(async () => {
    await parley.stop();
    await db.dispose();
  });

  it('follows references to stored inbound and outbound ids, then the token, then the same sender and subject within the window', async () => {
    await start();
    const first = await deliver(
      mail(
        'sara@example.org',
        '<m1>',
        { references: [], subjectKey: 'order 5', windowMs: DAY },
        { team: 'support', sender: { address: 'sara@example.org', addressKind: 'email', displayName: 'Sara' } },
      ),
    );
    const conversation = await db.prisma.conversation.findUniqueOrThrow({ where: { id: first }, include: { team: true, customer: true } });
    expect(conversation.team?.name).toBe('support');
    expect(conversation.subjectKey).toBe('order 5');
    expect(conversation.ref).toMatch(/^[0-9A-Z]{8}$/);
    const ack = await db.prisma.message.findFirstOrThrow({ where: { direction: 'outbound', conversationId: first } });
    expect(ack.externalId).toMatch(/^<out-/);

    advance(60_000);
    expect(await deliver(mail('sara@example.org', '<m2>', { references: ['<unknown>', ack.externalId as string] }))).toBe(first);
    expect(await deliver(mail('sara@example.org', '<m3>', { references: ['<m1>'] }))).toBe(first);
    expect(await deliver(mail('sara@example.org', '<m4>', { references: [], token: conversation.ref as string }))).toBe(first);
    expect(await deliver(mail('sara@example.org', '<m5>', { references: [], subjectKey: 'order 5', windowMs: DAY }))).toBe(first);

    // No hint matches: a new conversation, although Sara has an open one.
    const fresh = await deliver(mail('sara@example.org', '<m6>', { references: ['<unknown>'], subjectKey: 'invoice', windowMs: DAY }));
    expect(fresh).not.toBe(first);
    // Past the window the subject no longer joins.
    advance(2 * DAY);
    expect(await deliver(mail('sara@example.org', '<m7>', { references: [], subjectKey: 'order 5', windowMs: DAY }))).not.toBe(first);
  });

  it("never joins another customer's conversation, by reference, token or subject", async () => {
    await start();
    const sara = await deliver(mail('sara@example.org', '<s1>', { references: [], subjectKey: 'order 5', windowMs: DAY }));
    const ref = (await db.prisma.conversation.findUniqueOrThrow({ where: { id: sara } })).ref as string;
    const omid = await deliver(mail('omid@example.org', '<o1>', { references: ['<s1>'], token: ref, subjectKey: 'order 5', windowMs: DAY }));
    expect(omid).not.toBe(sara);
    const omidAgain = await deliver(mail('omid@example.org', '<o2>', { references: [], subjectKey: 'order 5', windowMs: DAY }));
    expect(omidAgain).toBe(omid);
  });

  it('reopens a resolved conversation a reply references within the reopen window, and starts a linked one after it', async () => {
    await start();
    const first = await deliver(mail('sara@example.org', '<r1>', { references: [] }));
    await db.prisma.conversation.update({ where: { id: first }, data: { status: 'resolved', resolvedAt: now() } });
    advance(60_000);
    expect(await deliver(mail('sara@example.org', '<r2>', { references: ['<r1>'] }))).toBe(first);
    expect((await db.prisma.conversation.findUniqueOrThrow({ where: { id: first } })).status).toBe('bot');

    await db.prisma.conversation.update({ where: { id: first }, data: { status: 'resolved', resolvedAt: now() } });
    advance(30 * DAY);
    const later = await deliver(mail('sara@example.org', '<r3>', { references: ['<r2>'] }));
    expect(later).not.toBe(first);
    expect((await db.prisma.conversation.findUniqueOrThrow({ where: { id: later } })).previousId).toBe(first);
  });

  it('stores automated messages but drops any reply a handler makes to them; a display name fills an empty customer name', async () => {
    const eager: ConversationHandler = { name: 'eager', handle: async (turn) => turn.reply({ text: 'hello' }) };
    await start(eager);
    await deliver(mail('away@example.org', '<a1>', { references: [] }, { automated: true }));
    expect(await db.prisma.message.count({ where: { direction: 'inbound' } })).toBe(1);
    expect(await db.prisma.message.count({ where: { direction: 'outbound' } })).toBe(0);
    expect(await db.prisma.outboxItem.count()).toBe(0);

    await deliver(
      mail('away@example.org', '<a2>', { references: ['<a1>'] }, { sender: { address: 'away@example.org', addressKind: 'email', displayName: 'Away Person' } }),
    );
    expect(await db.prisma.message.count({ where: { direction: 'outbound' } })).toBe(1);
    expect((await db.prisma.customer.findFirstOrThrow()).name).toBe('Away Person');
  });
});
