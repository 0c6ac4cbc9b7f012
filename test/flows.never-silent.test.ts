import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../src/core/ids.ts';
import { FlowRegistry } from '../src/flows/registry.ts';
import type { Parley } from '../src/runtime.ts';
import { dialects, freshDatabase } from './support/databases.ts';
import { FakeAdapter, settle, silentLogger, testParley } from './support/parley.ts';

/**
 * A new customer goes through the shipped flows the way real ones do (a sentence for a name,
 * answers that fit nothing, free text at the menu), is handed to the queue and keeps writing.
 * Every message gets an answer until a person owns the conversation; after that the bot is silent.
 */
describe.each(dialects)('no customer is left in silence (shipped flows, %s)', (dialect) => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let parley: Parley;
  const adapter = new FakeAdapter();
  let clock = new Date('2026-12-07T08:00:00Z'); // a Monday

  beforeEach(async () => {
    db = await freshDatabase(dialect);
    const flows = new FlowRegistry('flows', db, silentLogger);
    await flows.reload();
    parley = await testParley(db, { adapters: [adapter], flows, now: () => clock });
    await parley.startChannels();
  });

  afterEach(async () => {
    await parley.stop();
    await db.dispose();
  });

  it('answers every message of a customer until an agent owns the conversation', async () => {
    let n = 0;
    const write = async (text: string): Promise<string[]> => {
      clock = new Date(clock.getTime() + 11 * 60_000);
      const before = adapter.sent.length;
      await adapter.context!.receive({ externalId: `m${++n}`, sender: { address: '+989121234567', addressKind: 'phone' }, text, raw: {} });
      await settle(parley);
      return adapter.sent.slice(before).map((m) => m.content.text ?? '');
    };
    const script = [
      'سلام',
      'می‌خواهم شکایت کنم', // not a name: asked again
      'سارا',
      'آبی', // why they chose us: fits nothing
      'آبی', // retries run out: on to the menu
      'بسته‌ام خراب رسید', // free text at the menu: the complaint flow
      '۲',
      'جعبه له شده بود',
      'ندارم', // ticket, then the queue
      'خبری نشد؟',
      'سلام؟',
    ];
    for (const text of script) expect(await write(text), `no answer to ${JSON.stringify(text)}`).not.toEqual([]);
    const conversation = await db.prisma.conversation.findFirstOrThrow();
    expect(conversation.status).toBe('waiting_for_agent');
    expect(await db.prisma.ticket.count()).toBe(1);
    expect((await db.prisma.customer.findFirstOrThrow()).name).toBe('سارا');

    const agent = await db.prisma.agent.create({ data: { id: newId(), name: 'Bita' } });
    await parley.routing.assign(conversation.id, agent.id, 'api');
    await settle(parley);
    expect(await write('ممنون، منتظرم')).toEqual([]); // a person has it: the bot stays quiet
  }, 120_000);
});
