import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConversationHandler, Turn } from '../src/pipeline/handler.ts';
import type { Parley } from '../src/runtime.ts';
import { dialects, freshDatabase } from './support/databases.ts';
import { FakeAdapter, settle, testParley } from './support/parley.ts';

describe.each(dialects)('the customer language on %s', (dialect) => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let parley: Parley;
  const seen: { text: string | undefined; locale: string }[] = [];
  const adapter = new FakeAdapter('email', { ...new FakeAdapter().capabilities, addressKind: 'email' });
  const recording: ConversationHandler = {
    name: 'recording',
    async handle(turn: Turn) {
      seen.push({ text: turn.message.text, locale: turn.locale });
    },
  };

  beforeEach(async () => {
    seen.length = 0;
    db = await freshDatabase(dialect);
    parley = await testParley(db, { adapters: [adapter], handlers: () => recording });
    await parley.startChannels();
  });

  afterEach(async () => {
    await parley.stop();
    await db.dispose();
  });

  const write = async (externalId: string, text: string) => {
    await adapter.context!.receive({ externalId, sender: { address: 'sara@example.com', addressKind: 'email' }, text, raw: {} });
    await settle(parley);
  };

  it('is Persian for "سلام" from an email address, and follows the customer when they ask for another', async () => {
    await write('m1', 'سلام');
    await write('m2', 'English please');
    await write('m3', 'where is my order?');
    await write('m4', 'بالعربي');
    await write('m5', 'وين طلبي');
    expect(seen.map((s) => s.locale)).toEqual(['fa', 'en', 'en', 'ar', 'ar']);
    expect((await db.prisma.customer.findFirstOrThrow()).locale).toBe('ar');
  });
});
