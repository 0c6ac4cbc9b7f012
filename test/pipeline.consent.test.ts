import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Parley } from '../src/runtime.ts';
import { enqueueOutbound } from '../src/pipeline/outbound.ts';
import { dialects, freshDatabase } from './support/databases.ts';
import { FakeAdapter, settle, testParley } from './support/parley.ts';

type TestDb = Awaited<ReturnType<typeof freshDatabase>>;
const customer = '+989121234567';

const inbound = (
  externalId: string,
  text: string,
  consent?: { action: 'opt_out' | 'opt_in' | 'help'; reply?: { text: string; sentBy: 'parley' | 'provider' } },
) => ({
  channel: 'sms',
  externalId,
  sender: { address: customer, addressKind: 'phone' as const },
  text,
  consent,
  raw: {},
});

describe.each(dialects)('consent and opt-out on %s', (dialect) => {
  let db: TestDb;
  let parley: Parley;
  let adapter: FakeAdapter;

  beforeEach(async () => {
    db = await freshDatabase(dialect);
    adapter = new FakeAdapter('sms');
    parley = await testParley(db, { adapters: [adapter] });
    await parley.startChannels();
  });

  afterEach(async () => {
    await parley.stop();
    await db.dispose();
  });

  async function agentSays(text: string) {
    const conversation = await db.prisma.conversation.findFirstOrThrow();
    return db.write((tx) =>
      enqueueOutbound(tx, db.dialect, { conversationId: conversation.id, channel: 'sms', recipient: customer, content: { text }, authorKind: 'agent' }),
    );
  }

  it('STOP opts the identity out, is answered but not handed to the handler, and later sends fail with the reason', async () => {
    await parley.inbox.accept(inbound('m1', 'hello'));
    await settle(parley);
    expect(adapter.sent.map((m) => m.content.text)).toHaveLength(1); // the default acknowledgement

    await parley.inbox.accept(
      inbound('m2', 'STOP', { action: 'opt_out', reply: { text: 'You are unsubscribed. Reply START to resubscribe.', sentBy: 'parley' } }),
    );
    await settle(parley);
    const identity = await db.prisma.channelIdentity.findFirstOrThrow();
    expect(identity.optedOutAt).toBeInstanceOf(Date);
    // The confirmation goes out even though the recipient has opted out; no acknowledgement.
    expect(adapter.sent.map((m) => m.content.text)).toEqual([expect.any(String), 'You are unsubscribed. Reply START to resubscribe.']);
    const confirmation = await db.prisma.message.findFirstOrThrow({ where: { text: { startsWith: 'You are unsubscribed' } } });
    expect(confirmation.authorKind).toBe('system');

    const blocked = await agentSays('Are you still there?');
    parley.dispatcher.notify();
    await settle(parley);
    expect(adapter.sent).toHaveLength(2);
    const message = await db.prisma.message.findUniqueOrThrow({ where: { id: blocked } });
    expect(message.deliveryStatus).toBe('failed');
    expect(message.failureReason).toBe('recipient opted out');

    await parley.inbox.accept(inbound('m3', 'START', { action: 'opt_in', reply: { text: 'Welcome back.', sentBy: 'provider' } }));
    await settle(parley);
    expect((await db.prisma.channelIdentity.findFirstOrThrow()).optedOutAt).toBeNull();
    // The provider sent this answer itself: recorded as sent, not sent again.
    const recorded = await db.prisma.message.findFirstOrThrow({ where: { text: 'Welcome back.' } });
    expect(recorded.deliveryStatus).toBe('sent');
    expect(adapter.sent).toHaveLength(2);
    await agentSays('Welcome!');
    await settle(parley);
    expect(adapter.sent.at(-1)?.content.text).toBe('Welcome!');
  });

  it('a STOP as the first message creates the identity already opted out', async () => {
    await parley.inbox.accept(inbound('m1', 'لغو', { action: 'opt_out' }));
    await settle(parley);
    expect((await db.prisma.channelIdentity.findFirstOrThrow()).optedOutAt).toBeInstanceOf(Date);
    expect(adapter.sent).toHaveLength(0);
    expect(await db.prisma.message.count()).toBe(1);
  });

  it('the channel context records consent learned outside a message and tells when the address last wrote', async () => {
    const context = parley.channelContext('sms');
    expect(await context.lastInboundAt(customer)).toBeUndefined();
    await parley.inbox.accept(inbound('m1', 'hello'));
    await settle(parley);
    const last = await context.lastInboundAt(customer);
    const stored = await db.prisma.message.findFirstOrThrow({ where: { direction: 'inbound' } });
    expect(last?.getTime()).toBe(stored.createdAt.getTime());
    await context.recordConsent(customer, 'opt_out');
    expect((await db.prisma.channelIdentity.findFirstOrThrow()).optedOutAt).toBeInstanceOf(Date);
    await context.recordConsent(customer, 'opt_in');
    expect((await db.prisma.channelIdentity.findFirstOrThrow()).optedOutAt).toBeNull();
  });
});
