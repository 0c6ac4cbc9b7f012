import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BotkitConversation } from 'botkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InboundMessage, OutboundMessage } from '../src/core/message.ts';
import type { Prisma } from '../src/db/database.ts';
import { FlowRegistry } from '../src/flows/registry.ts';
import { parseFlowFile } from '../src/flows/validate.ts';
import {
  BotkitDialogHandler,
  type BotkitDialogs,
  type BotkitSession,
  botkitHandlers,
  handOff,
  loadBotkitDialogs,
  ParleyBotkitStorage,
} from '../src/flows/botkit/index.ts';
import type { BatchScope, Turn } from '../src/pipeline/handler.ts';
import type { Parley } from '../src/runtime.ts';
import { dialects, freshDatabase } from './support/databases.ts';
import { FakeAdapter, settle, silentLogger, testParley } from './support/parley.ts';

type TestDb = Awaited<ReturnType<typeof freshDatabase>>;

const CUSTOMER = '+989121234567';
let sequence = 0;
const fromCustomer = (body: { text?: string; tap?: { id: string; title: string } }, from = CUSTOMER): InboundMessage => {
  const externalId = `wamid.${++sequence}`;
  return {
    channel: 'whatsapp',
    externalId,
    sender: { address: from, addressKind: 'phone', displayName: 'Sara' },
    text: body.text ?? body.tap?.title,
    interactiveReply: body.tap,
    raw: { id: externalId },
  };
};

/** The two-question feedback dialog: a name, then a 1-5 rating offered as quick replies. */
function feedbackDialogs(finished: Record<string, unknown>[]): BotkitDialogs {
  return {
    dialogs: (controller) => {
      const convo = new BotkitConversation('feedback', controller);
      convo.ask('What is your name?', [], 'name');
      convo.ask(
        {
          text: ['Thanks {{vars.name}}! How would you rate us, 1 to 5?'],
          quick_replies: [1, 2, 3, 4, 5].map((n) => ({ title: `${n} ★`, payload: String(n) })),
        },
        [
          { pattern: /^[1-5]$/, handler: async () => {} },
          {
            default: true,
            handler: async (_answer, dialog, bot) => {
              await bot.say('Please choose a number from 1 to 5.');
              await dialog.repeat();
            },
          },
        ],
        'rating',
      );
      convo.say('Thank you, {{vars.name}}: you gave us {{vars.rating}}.');
      convo.after(async (results) => {
        finished.push(results);
      });
      return [convo];
    },
  };
}

/** Asks for an order number, then hands the conversation to the billing team with what it learned. */
const handoffDialogs: BotkitDialogs = {
  dialogs: (controller) => {
    const convo = new BotkitConversation('billing', controller);
    convo.ask('Your order number?', [], 'order');
    convo.after(async (results, bot) => {
      await bot.say('Passing you to our billing team.');
      await bot.say(handOff({ team: 'billing', priority: 'high', note: 'asked for a refund', collected: { order: results.order } }));
    });
    return [convo];
  },
};

const texts = (sent: OutboundMessage[]) => sent.map((m) => m.content.text);

describe.each(dialects)('Botkit bridge on %s', (dialect) => {
  let db: TestDb;
  const running: Parley[] = [];

  beforeEach(async () => {
    db = await freshDatabase(dialect);
  });

  afterEach(async () => {
    for (const p of running.splice(0)) await p.stop();
    await db.dispose();
  });

  async function botkitParley(dialogs: BotkitDialogs) {
    const adapter = new FakeAdapter();
    const handler = await BotkitDialogHandler.create(db, dialogs);
    const parley = await testParley(db, { adapters: [adapter], handlers: botkitHandlers(handler) });
    await parley.startChannels();
    running.push(parley);
    const say = async (body: Parameters<typeof fromCustomer>[0], from?: string) => {
      expect((await parley.inbox.accept(fromCustomer(body, from))).status).toBe('accepted');
      await settle(parley);
    };
    return { parley, adapter, handler, say };
  }

  const sessionOf = async (conversationId: string) => {
    const rows = await db.prisma.botkitState.findMany();
    const row = rows.find((r) => r.key.includes(conversationId));
    return row?.data as { parley?: BotkitSession; dialogState?: { dialogStack: { id: string; state: { values?: Record<string, unknown> } }[] } } | undefined;
  };

  it('runs a two-question dialog end to end, keeps its state in the database and resumes it in a new Parley instance', async () => {
    const finished: Record<string, unknown>[] = [];
    const first = await botkitParley(feedbackDialogs(finished));
    expect(first.handler.flows).toEqual(['feedback']);

    await first.say({ text: 'سلام' });
    expect(texts(first.adapter.sent)).toEqual(['What is your name?']);
    const conversation = await db.prisma.conversation.findFirstOrThrow();
    expect(first.adapter.sent[0]?.conversationId).toBe(conversation.id);

    await first.say({ text: 'Sara' });
    const ratingPrompt = first.adapter.sent[1];
    expect(ratingPrompt?.content.text).toBe('Thanks Sara! How would you rate us, 1 to 5?');
    // Five choices are more than the channel's three buttons: they go out as a list.
    expect(ratingPrompt?.content.buttons).toBeUndefined();
    expect(ratingPrompt?.content.list?.sections[0]?.rows).toEqual([1, 2, 3, 4, 5].map((n) => ({ id: String(n), title: `${n} ★` })));

    // Mid-dialog, the dialog's state is in Parley's database.
    const midway = await sessionOf(conversation.id);
    expect(midway?.parley).toMatchObject({ dialogId: 'feedback', status: 'active' });
    expect(midway?.parley?.offered).toHaveLength(5);
    const stack = midway?.dialogState?.dialogStack ?? [];
    // Botkit's wrapper, the dialog, and the prompt waiting for the rating.
    expect(stack.map((d) => d.id)).toEqual(['feedback:botkit-wrapper', 'feedback', 'feedback_default_prompt']);
    expect(stack[1]?.state.values).toMatchObject({ name: 'Sara' });

    // Restart: a new process with a new controller on the same database.
    await first.parley.stop();
    running.splice(running.indexOf(first.parley), 1);
    const second = await botkitParley(feedbackDialogs(finished));

    await second.say({ text: 'great' });
    expect(texts(second.adapter.sent)).toEqual(['Please choose a number from 1 to 5.', 'Thanks Sara! How would you rate us, 1 to 5?']);

    await second.say({ tap: { id: '4', title: '4 ★' } });
    expect(second.adapter.sent.at(-1)?.content.text).toBe('Thank you, Sara: you gave us 4.');
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({ name: 'Sara', rating: '4' });

    const ended = await sessionOf(conversation.id);
    expect(ended?.parley).toMatchObject({ dialogId: 'feedback', status: 'completed', results: { name: 'Sara', rating: '4' } });
    expect(ended?.dialogState?.dialogStack).toEqual([]);

    // Every reply went through the outbox and was stored as a bot message of the conversation.
    const botMessages = await db.prisma.message.findMany({ where: { conversationId: conversation.id, authorKind: 'bot' }, orderBy: { id: 'asc' } });
    expect(botMessages.map((m) => m.deliveryStatus)).toEqual(['sent', 'sent', 'sent', 'sent', 'sent']);

    // The session has ended: a later message gets the fallback acknowledgement, not the dialog again.
    await second.say({ text: 'bye' });
    // "سلام" from an Iranian number made her a Persian speaker: the default reply is in Persian.
    expect(second.adapter.sent.at(-1)?.content.text).toMatch(/^ممنون از پیام شما/);
    expect(finished).toHaveLength(1);
  });

  it('runs the dialogs of the module PARLEY_BOTKIT_DIALOGS names, hand-off included', async () => {
    const adapter = new FakeAdapter();
    const parley = await testParley(db, { adapters: [adapter], env: { PARLEY_BOTKIT_DIALOGS: './examples/botkit/complaint-dialogs.js' } });
    running.push(parley);
    await parley.startChannels();
    for (const body of [
      { text: 'I have a complaint' },
      { tap: { id: 'delivery', title: 'Delivery' } },
      { text: 'The box arrived broken' },
      { text: 'A-1001' },
      { text: 'no' },
    ]) {
      await parley.inbox.accept(fromCustomer(body, '+971501234567'));
      await settle(parley);
    }
    expect(texts(adapter.sent)).toEqual([
      'Sorry to hear that. What is your complaint about?',
      'Please describe what happened.',
      'Your order number, if you have one?',
      'A delivery complaint about order A-1001. Shall I file it?',
      'Let me pass you to a colleague.',
    ]);
    // Four categories are more than three buttons: a list; two choices: buttons.
    expect(adapter.sent[0]?.content.list?.sections[0]?.rows.map((r) => r.id)).toEqual(['delivery', 'product', 'billing', 'other']);
    expect(adapter.sent[3]?.content.buttons).toEqual([
      { id: 'yes', title: 'Yes' },
      { id: 'no', title: 'No' },
    ]);
    const conversation = await db.prisma.conversation.findFirstOrThrow({ include: { team: true } });
    expect(conversation.status).toBe('waiting_for_agent');
    expect(conversation.team?.name).toBe('complaints');
  });

  it('takes a typed number in Persian digits or the title as the answer to offered choices', async () => {
    const finished: Record<string, unknown>[] = [];
    const { say } = await botkitParley(feedbackDialogs(finished));
    await say({ text: 'hi' });
    await say({ text: 'Ali' });
    await say({ text: '۵' });
    expect(finished[0]).toMatchObject({ name: 'Ali', rating: '5' });

    await say({ text: 'hello' }, '+989120000002');
    await say({ text: 'Reza' }, '+989120000002');
    await say({ text: '2 ★' }, '+989120000002');
    expect(finished[1]).toMatchObject({ name: 'Reza', rating: '2' });
  });

  it('hands the conversation off to a team with what the dialog collected', async () => {
    const { parley, adapter, say } = await botkitParley(handoffDialogs);
    const desk: unknown[] = [];
    parley.events.subscribe('conversation.handed_off', 'test-desk', async (event) => {
      desk.push(event);
    });
    await say({ text: 'I want a refund' });
    await say({ text: 'A-1001' });
    expect(texts(adapter.sent)).toEqual(['Your order number?', 'Passing you to our billing team.']);

    const conversation = await db.prisma.conversation.findFirstOrThrow({ include: { team: true } });
    expect(conversation.status).toBe('waiting_for_agent');
    expect(conversation.priority).toBe('high');
    expect(conversation.team?.name).toBe('billing');
    expect(desk).toEqual([expect.objectContaining({ team: 'billing', note: 'asked for a refund', collected: { order: 'A-1001' } })]);
    expect((await sessionOf(conversation.id))?.parley).toMatchObject({ status: 'handed_off' });

    // With a human now, the bot stays silent.
    await say({ text: 'hello?' });
    expect(adapter.sent).toHaveLength(2);
  });

  it('cancels a dialog that hands off midway, so it is not resumed when the bot gets the conversation back', async () => {
    const dialogs: BotkitDialogs = {
      dialogs: (controller) => {
        const convo = new BotkitConversation('order', controller);
        convo.ask(
          'Your order number? (or "agent")',
          [
            {
              pattern: /^agent$/i,
              handler: async (_answer, _dialog, bot) => {
                await bot.say(handOff({ team: 'support' }));
              },
            },
            { default: true, handler: async () => {} },
          ],
          'order',
        );
        convo.ask('And your postcode?', [], 'postcode');
        return [convo];
      },
    };
    const { adapter, say } = await botkitParley(dialogs);
    await say({ text: 'hi' });
    await say({ text: 'agent' });
    // The dialog went on to its next question in that turn; after the hand-off it is not sent.
    expect(texts(adapter.sent)).toEqual(['Your order number? (or "agent")']);
    const conversation = await db.prisma.conversation.findFirstOrThrow();
    expect(conversation.status).toBe('waiting_for_agent');
    const state = await sessionOf(conversation.id);
    expect(state?.parley).toMatchObject({ dialogId: 'order', status: 'handed_off' });
    expect(state?.dialogState?.dialogStack).toEqual([]);

    // An agent hands the conversation back: the bot answers with its fallback, not the old dialog.
    await db.prisma.conversation.update({ where: { id: conversation.id }, data: { status: 'bot' } });
    const before = adapter.sent.length;
    await say({ text: '12345' });
    expect(adapter.sent.slice(before).map((m) => m.content.text)).toEqual([expect.stringMatching(/^Thanks for your message!/)]);
  });

  it('stores no dialog step when the turn fails, while the other turn of the batch goes on', async () => {
    const dialogs: BotkitDialogs = {
      dialogs: (controller) => {
        const convo = new BotkitConversation('flaky', controller);
        convo.ask('Your name?', [], 'name');
        convo.ask('Your city?', [], 'city');
        convo.onChange('name', async (name) => {
          if (name === 'Mina' && !recovered) throw new Error('CRM unavailable');
        });
        return [convo];
      },
    };
    let recovered = false;
    const { parley, adapter, say } = await botkitParley(dialogs);
    const other = '+989120000009';
    await say({ text: 'hi' });
    await say({ text: 'hi' }, other);
    // Both answers are handled in one batch.
    await parley.inbox.accept(fromCustomer({ text: 'Mina' }));
    await parley.inbox.accept(fromCustomer({ text: 'Omid' }, other));
    await settle(parley);

    const event = await db.prisma.inboxEvent.findFirstOrThrow({ where: { error: { not: null } } });
    expect(event.error).toMatch(/handler botkit failed: .*CRM unavailable/);
    const identities = await db.prisma.channelIdentity.findMany({ include: { conversations: true } });
    const conversationOf = (address: string) => identities.find((i) => i.address === address)?.conversations[0]?.id as string;
    const sentTo = (address: string) => texts(adapter.sent.filter((m) => m.recipient === address));
    expect(sentTo(CUSTOMER)).toEqual(['Your name?']);
    expect(sentTo(other)).toEqual(['Your name?', 'Your city?']);
    expect((await sessionOf(conversationOf(CUSTOMER)))?.dialogState?.dialogStack[1]?.state.values?.name).toBeUndefined();
    expect((await sessionOf(conversationOf(other)))?.dialogState?.dialogStack[1]?.state.values?.name).toBe('Omid');

    recovered = true;
    await say({ text: 'Mina' });
    expect(sentTo(CUSTOMER)).toEqual(['Your name?', 'Your city?']);
  });
});

/** A YAML flow on the keyword "order": it asks which order, then answers. */
const TRACKING = `
id: tracking
name: Tracking
locales: [en]
triggers:
  - keyword: [order]
steps:
  - id: number
    ask: { type: text, text: "Which order shall I look up?", save: number }
  - id: done
    end: { say: "Order {{number}} is on its way." }
`;

describe.each(dialects)('Botkit dialogs beside YAML flows on %s', (dialect) => {
  let db: TestDb;
  let parley: Parley;
  let adapter: FakeAdapter;

  beforeEach(async () => {
    db = await freshDatabase(dialect);
    const parsed = parseFlowFile('tracking.yaml', TRACKING);
    if (!parsed.ok) throw new Error(parsed.problems.map((p) => p.message).join('\n'));
    adapter = new FakeAdapter();
    parley = await testParley(db, {
      adapters: [adapter],
      flows: FlowRegistry.of([parsed.flow], silentLogger, db),
      env: { PARLEY_BOTKIT_DIALOGS: './examples/botkit/complaint-dialogs.js' },
    });
    await parley.startChannels();
  });

  afterEach(async () => {
    await parley.stop();
    await db.dispose();
  });

  const say = async (from: string, body: Parameters<typeof fromCustomer>[0]): Promise<(string | undefined)[]> => {
    const before = adapter.sent.length;
    expect((await parley.inbox.accept(fromCustomer(body, from))).status).toBe('accepted');
    await settle(parley);
    return texts(adapter.sent.slice(before));
  };
  const flowSessions = async (from: string) =>
    db.prisma.flowSession.findMany({
      where: { conversation: { identity: { address: from } } },
      orderBy: { createdAt: 'asc' },
      select: { flowId: true, status: true },
    });

  it('runs a YAML keyword flow and a Botkit dialog in one Parley, neither taking a conversation from the other', async () => {
    // The keyword starts the YAML flow, which then runs to its end.
    const yaml = '+447911123401';
    expect(await say(yaml, { text: 'Where is my order please' })).toEqual(['Which order shall I look up?']);
    expect(await say(yaml, { text: 'A-77' })).toEqual(['Order A-77 is on its way.']);

    // Another conversation's first message matches no flow: the Botkit dialog begins.
    const botkit = '+447911123402';
    expect(await say(botkit, { text: 'Hello' })).toEqual(['Sorry to hear that. What is your complaint about?']);
    expect(await say(botkit, { tap: { id: 'delivery', title: 'Delivery' } })).toEqual(['Please describe what happened.']);
    // Mid-dialog, the YAML keyword is an answer to Botkit's question, not a new flow.
    expect(await say(botkit, { text: 'The order came a week late' })).toEqual(['Your order number, if you have one?']);
    expect(await say(botkit, { text: 'order A-1001' })).toEqual(['A delivery complaint about order order A-1001. Shall I file it?']);
    expect(await flowSessions(botkit)).toEqual([]);
    expect(await say(botkit, { tap: { id: 'yes', title: 'Yes' } })).toEqual(['Filed. Our team will get back to you within a day.']);

    // The dialog has ended: the keyword starts the YAML flow again, and its session is not
    // interrupted by Botkit.
    expect(await say(botkit, { text: 'and my other order please' })).toEqual(['Which order shall I look up?']);
    expect(await say(botkit, { text: 'Hello' })).toEqual(['Order Hello is on its way.']);
    expect(await flowSessions(botkit)).toEqual([{ flowId: 'tracking', status: 'completed' }]);
    // A message no flow takes goes to Botkit, whose dialog has run: its fallback, the acknowledgement.
    expect(await say(botkit, { text: 'thanks' })).toEqual([expect.stringMatching(/^Thanks for your message!/)]);

    const conversation = await db.prisma.conversation.findFirstOrThrow({ where: { identity: { address: botkit } } });
    const state = await db.prisma.botkitState.findFirstOrThrow({ where: { key: { contains: conversation.id } } });
    expect((state.data as { parley?: BotkitSession }).parley).toMatchObject({ dialogId: 'complaint', status: 'completed' });
  });

  it('keeps a conversation Botkit handed off with the person: a YAML keyword does not answer', async () => {
    const from = '+447911123403';
    await say(from, { text: 'I have a complaint' });
    await say(from, { tap: { id: 'billing', title: 'Billing' } });
    await say(from, { text: 'Charged twice' });
    await say(from, { tap: { id: 'none', title: 'No order number' } });
    expect(await say(from, { tap: { id: 'no', title: 'No' } })).toEqual(['Let me pass you to a colleague.']);
    expect((await db.prisma.conversation.findFirstOrThrow()).status).toBe('waiting_for_agent');
    expect(await say(from, { text: 'what about my order please' })).toEqual([]);
    expect(await flowSessions(from)).toEqual([]);
  });

  it('ends the dialog of a conversation reopened after it was resolved: the YAML keyword is heard, and a later message begins afresh', async () => {
    const from = '+447911123404';
    await say(from, { text: 'Hello' });
    await say(from, { tap: { id: 'product', title: 'Product' } });
    const conversation = await db.prisma.conversation.findFirstOrThrow();
    // An agent resolves the conversation with the dialog midway; the customer writes again.
    await db.prisma.conversation.update({ where: { id: conversation.id }, data: { status: 'resolved', resolvedAt: new Date() } });
    expect(await say(from, { text: 'track my order please' })).toEqual(['Which order shall I look up?']);
    expect(await say(from, { text: 'B-2' })).toEqual(['Order B-2 is on its way.']);
    // The old dialog is not resumed (it waited for a description): the start dialog begins again.
    expect(await say(from, { text: 'Hello again' })).toEqual(['Sorry to hear that. What is your complaint about?']);
    expect(await db.prisma.conversation.count()).toBe(1);
  });

  it('reads the state of a batch of conversations with one query', async () => {
    const customers = ['+447911123411', '+447911123412', '+447911123413'];
    for (const from of customers) await say(from, { text: 'Hello' });
    const reads: unknown[] = [];
    const findMany = db.prisma.botkitState.findMany.bind(db.prisma.botkitState);
    // The same client object the storage reads with: count its reads of the next batch.
    (db.prisma.botkitState as { findMany: unknown }).findMany = (args: unknown) => (reads.push(args), findMany(args as never));
    try {
      for (const from of customers)
        expect((await parley.inbox.accept(fromCustomer({ tap: { id: 'product', title: 'Product' } }, from))).status).toBe('accepted');
      await settle(parley);
    } finally {
      (db.prisma.botkitState as { findMany: unknown }).findMany = findMany;
    }
    expect(texts(adapter.sent.slice(-3))).toEqual(Array(3).fill('Please describe what happened.'));
    expect(reads).toHaveLength(1);
  });
});

describe.each(dialects)('ParleyBotkitStorage on %s', (dialect) => {
  let db: TestDb;
  beforeEach(async () => {
    db = await freshDatabase(dialect);
  });
  afterEach(async () => {
    await db.dispose();
  });

  /** A batch as the pipeline makes one: shared values per key, commit callbacks run once at commit. */
  const fakeBatch = () => {
    const shared = new Map<string, unknown>();
    const writes: ((tx: Prisma) => Promise<void>)[] = [];
    const batch: BatchScope = {
      conversationIds: [],
      shared: <T>(key: string, create: () => T) => (shared.has(key) ? (shared.get(key) as T) : (shared.set(key, create()), shared.get(key) as T)),
      onCommit: (write) => writes.push(write),
    };
    return { batch, writes };
  };
  const fakeTurn = (group: ReturnType<typeof fakeBatch>) => ({ turn: { batch: group.batch, onCommit: () => {} } as unknown as Turn });

  it('writes the turns of a commit group in one go, without the turns that failed, and reads its own held writes', async () => {
    const storage = new ParleyBotkitStorage(db);
    await storage.write({ 'old/key': { n: 0, name: 'سارا' } });
    const group = fakeBatch();
    const ok = fakeTurn(group);
    const failed = fakeTurn(group);
    const also = fakeTurn(group);
    await storage.withTurn(ok.turn, async () => {
      await storage.write({ 'a/key': { n: 1 } });
      await storage.delete(['old/key']);
      // Within the turn, reads see what the turn wrote; nothing is in the database yet.
      expect(await storage.read(['a/key', 'old/key'])).toEqual({ 'a/key': { n: 1 } });
    });
    await expect(
      storage.withTurn(failed.turn, async () => {
        await storage.write({ 'b/key': { n: 2 } });
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    await storage.withTurn(also.turn, () => storage.write({ 'c/key': { n: 3 } }));
    expect(await db.prisma.botkitState.count()).toBe(1);

    // The pipeline runs the batch's commit callbacks in its one transaction.
    await db.write(async (tx) => {
      for (const write of group.writes) await write(tx);
    });
    const rows = await db.prisma.botkitState.findMany({ orderBy: { key: 'asc' } });
    expect(rows.map((r) => [r.key, r.data])).toEqual([
      ['a/key', { n: 1 }],
      ['c/key', { n: 3 }],
    ]);
    expect(await storage.read(['a/key', 'b/key', 'c/key'])).toEqual({ 'a/key': { n: 1 }, 'c/key': { n: 3 } });
  });

  it('writes at once outside a turn, keeps Persian text intact and names a bad value', async () => {
    const storage = new ParleyBotkitStorage(db);
    await storage.write({ k: { name: 'مهسا', digits: '۱۲۳' } });
    await storage.write({ k: { name: 'مهسا', digits: '۱۲۳', step: 2 } });
    expect(await storage.read(['k', 'missing'])).toEqual({ k: { name: 'مهسا', digits: '۱۲۳', step: 2 } });
    await expect(storage.write({ k: 'text' })).rejects.toThrow('Botkit storage: the value written for key "k" is string, not a state object');
    await storage.delete(['k']);
    expect(await storage.read(['k'])).toEqual({});
  });
});

describe('Botkit dialogs module', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-botkit-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('loads a module whose default export defines the dialogs', async () => {
    const path = join(dir, 'dialogs.mjs');
    writeFileSync(path, 'export default { dialogs: () => [], start: "survey" };\n');
    const loaded = await loadBotkitDialogs(path);
    expect(loaded.start).toBe('survey');
    expect(typeof loaded.dialogs).toBe('function');
  });

  it('says what is wrong with a module that does not define dialogs, or that is missing', async () => {
    const path = join(dir, 'bad.mjs');
    writeFileSync(path, 'export const start = 3;\n');
    await expect(loadBotkitDialogs(path)).rejects.toThrow(/PARLEY_BOTKIT_DIALOGS=.*bad\.mjs: the module must export .*dialogs: must be a function.*start:/);
    await expect(loadBotkitDialogs(join(dir, 'missing.mjs'))).rejects.toThrow(/PARLEY_BOTKIT_DIALOGS=.*missing\.mjs: the module could not be loaded/);
  });

  it('rejects a start dialog that is not among the dialogs', async () => {
    const db = await freshDatabase('sqlite');
    try {
      await expect(BotkitDialogHandler.create(db, { dialogs: (controller) => [new BotkitConversation('a', controller)], start: 'b' })).rejects.toThrow(
        'Botkit dialogs: the start dialog "b" is not among the dialogs (a)',
      );
    } finally {
      await db.dispose();
    }
  });
});
