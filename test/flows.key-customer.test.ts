import { afterEach, describe, expect, it } from 'vitest';
import { newId } from '../src/core/ids.ts';
import { FlowRegistry } from '../src/flows/registry.ts';
import { parseFlowFile } from '../src/flows/validate.ts';
import type { Parley } from '../src/runtime.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';
import { FakeAdapter, settle, silentLogger, testCapabilities, testParley } from './support/parley.ts';

const VIP = `
id: vip
name: VIP
locales: [en]
triggers:
  - keyword: { en: [vip] }
steps:
  - id: email
    ask: { type: email, text: "Your email?", save: email, save_attribute: email }
  - id: mark
    key_customer: { key: true, reason: "asked for VIP with {{email}}" }
  - id: done
    end: { say: "Done" }
`;

describe('the key_customer flow step', () => {
  it('is validated: key must be true or false, and nothing else is accepted', () => {
    const bad = parseFlowFile('vip.yaml', VIP.replace('key: true', 'key: "yes"'));
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.problems.map((p) => `${p.line}: ${p.message}`).join('\n')).toMatch(/^11: .*"key"/m);
    const extra = parseFlowFile('vip.yaml', VIP.replace('key: true,', 'key: true, until: tomorrow,'));
    expect(extra.ok).toBe(false);
  });
});

describe.each(dialects)('a flow marks a key customer and proposes a merge on %s', (dialect) => {
  let db: TestDatabase;
  let parley: Parley;

  afterEach(async () => {
    await parley?.stop();
    await db?.dispose();
  });

  it('the flow sets the flag with its reason; the email it collected matches another record: a suggestion', async () => {
    db = await freshDatabase(dialect);
    const parsed = parseFlowFile('vip.yaml', VIP);
    if (!parsed.ok) throw new Error(parsed.problems.map((p) => p.message).join('\n'));
    const registry = FlowRegistry.of([], silentLogger, db);
    await registry.remember({ flow: parsed.flow, file: 'vip.yaml', source: VIP });
    const adapter = new FakeAdapter('whatsapp', testCapabilities);
    parley = await testParley(db, { adapters: [adapter], flows: registry });
    await parley.startChannels();
    const emailCustomer = await db.prisma.customer.create({ data: { id: newId(), name: 'Ali by email', attributes: {}, tags: [] } });
    await db.prisma.channelIdentity.create({ data: { id: newId(), customerId: emailCustomer.id, channel: 'email', address: 'ali@example.com' } });

    let seq = 0;
    const say = async (text: string) => {
      await adapter.context!.receive({
        externalId: `m${++seq}`,
        sender: { address: '+989121234567', addressKind: 'phone' },
        text,
        raw: {},
      });
      await settle(parley);
    };
    await say('vip');
    await say('Ali@Example.com');
    const customer = await db.prisma.customer.findFirstOrThrow({ where: { identities: { some: { channel: 'whatsapp' } } } });
    expect(customer).toMatchObject({ isKey: true, keySource: 'manual', keyReason: 'manual: flow vip: asked for VIP with ali@example.com' });
    const suggestions = await db.prisma.mergeSuggestion.findMany();
    expect(suggestions.map((s) => [s.customerId, s.otherId, s.matchedBy, s.value])).toEqual([[emailCustomer.id, customer.id, 'email', 'ali@example.com']]);
    expect(adapter.sent.at(-1)?.content.text).toBe('Done');
  });
});
