import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { addCampaign, cancelCampaign, getCampaign, pauseCampaign, resumeCampaign, startCampaign } from '../src/campaigns/campaigns.ts';
import { campaignResults } from '../src/campaigns/results.ts';
import { outreachBudget } from '../src/contact/outreach-pace.ts';
import { customerTimeZone, dueAt, quietUntil } from '../src/campaigns/schedule.ts';
import { addSegment } from '../src/campaigns/segments.ts';
import { newId, newRef } from '../src/core/ids.ts';
import { FlowRegistry } from '../src/flows/registry.ts';
import { parseFlowFile } from '../src/flows/validate.ts';
import type { Parley } from '../src/runtime.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';
import { FakeAdapter, silentLogger, testCapabilities, testParley } from './support/parley.ts';

const OFFER = `
id: spring_offer
name: Spring offer
locales: [en, fa, ar]
triggers:
  - keyword: [offer]
steps:
  - id: hello
    say: { en: "Spring offer for you", fa: "پیشنهاد بهاری برای شما", ar: "عرض الربيع لك" }
  - id: bye
    end: { say: { en: "See you", fa: "به امید دیدار", ar: "إلى اللقاء" } }
`;

const COMEBACK = `
id: comeback
name: Come back
locales: [en]
triggers:
  - inactive: 30d
steps:
  - id: bye
    end: { say: "We miss you" }
`;

const TEXT = { en: 'Hello {{customer.name}}', fa: 'سلام {{customer.name}}', ar: 'مرحبا {{customer.name}}' };

/** A customer on WhatsApp; `wrote`: they wrote to us there first (WhatsApp's opt-in, PARLEY_CONSENT_CHANNELS). */
async function customer(
  db: TestDatabase,
  name: string,
  phone: string,
  extra: { locale?: string; attributes?: object; optedOut?: boolean; wrote?: boolean; wroteAt?: Date } = {},
): Promise<string> {
  const id = newId();
  const identityId = newId();
  await db.prisma.customer.create({
    data: { id, name, locale: extra.locale ?? null, attributes: (extra.attributes ?? {}) as never, tags: [] },
    select: { id: true },
  });
  await db.prisma.channelIdentity.create({
    data: { id: identityId, customerId: id, channel: 'whatsapp', address: phone, optedOutAt: extra.optedOut ? new Date(0) : null },
    select: { id: true },
  });
  if (extra.wrote) {
    const at = extra.wroteAt ?? new Date('2026-01-01T10:00:00Z');
    const conversationId = newId();
    await db.prisma.conversation.create({
      data: {
        id: conversationId,
        customerId: id,
        identityId,
        channel: 'whatsapp',
        status: 'resolved',
        ref: newRef(),
        createdAt: at,
        lastMessageAt: at,
        resolvedAt: at,
      },
      select: { id: true },
    });
    await db.prisma.message.create({
      data: {
        id: newId(),
        conversationId,
        channel: 'whatsapp',
        direction: 'inbound',
        authorKind: 'customer',
        text: 'hi',
        attachments: [],
        deliveryStatus: 'received',
        createdAt: at,
      },
      select: { id: true },
    });
  }
  return id;
}

const recipients = async (db: TestDatabase) =>
  db.prisma.campaignRecipient.findMany({ orderBy: [{ run: 'asc' }, { dueAt: 'asc' }], include: { variant: { select: { name: true } } } });
const nameOf = async (db: TestDatabase, customerId: string) => (await db.prisma.customer.findUniqueOrThrow({ where: { id: customerId } })).name;

describe('campaign time', () => {
  it('finds each customer’s zone: attribute, then the phone’s country when it has one zone, then the fallback', () => {
    expect(customerTimeZone({ timezone: 'Asia/Dubai' }, ['+989121234567'], 'UTC')).toBe('Asia/Dubai');
    expect(customerTimeZone({ timezone: 'Mars/Base' }, ['+989121234567'], 'UTC')).toBe('Asia/Tehran');
    expect(customerTimeZone({}, ['+971501234567'], 'UTC')).toBe('Asia/Dubai');
    expect(customerTimeZone({}, ['+447400123456'], 'UTC')).toBe('Europe/London');
    // The US has many zones: the fallback.
    expect(customerTimeZone({}, ['+12025550123'], 'Asia/Tehran')).toBe('Asia/Tehran');
  });

  it('moves a send out of quiet hours, across midnight and a DST change', () => {
    const quiet = { from: '21:00', to: '09:00' };
    // 22:00 in Tehran (UTC+3:30) is quiet until 09:00 the next morning.
    expect(quietUntil(new Date('2026-03-10T18:30:00Z'), 'Asia/Tehran', quiet)?.toISOString()).toBe('2026-03-11T05:30:00.000Z');
    expect(quietUntil(new Date('2026-03-10T06:00:00Z'), 'Asia/Dubai', quiet)).toBeUndefined();
    // London's clocks go forward on 29 March 2026: the quiet night ends at 09:00 BST (08:00 UTC).
    expect(quietUntil(new Date('2026-03-28T22:00:00Z'), 'Europe/London', quiet)?.toISOString()).toBe('2026-03-29T08:00:00.000Z');
    expect(quietUntil(new Date('2026-03-10T18:30:00Z'), 'Asia/Tehran', { from: '00:00', to: '00:00' })).toBeUndefined();
    // A send planned at 23:00 local goes at the end of the quiet hours.
    expect(dueAt('2026-03-10', { time: '23:00' }, 'Asia/Dubai', quiet, new Date(0)).toISOString()).toBe('2026-03-11T05:00:00.000Z');
  });

  it('gives campaigns their share of a channel rate, at least one send per window', () => {
    expect(outreachBudget({ count: 80, perMs: 1000 }, 50)).toEqual({ perWindow: 40, windowMs: 1000 });
    expect(outreachBudget({ count: 1, perMs: 1000 }, 50)).toEqual({ perWindow: 1, windowMs: 2000 });
    expect(outreachBudget({ count: 20, perMs: 60_000 }, 30)).toEqual({ perWindow: 6, windowMs: 60_000 });
  });
});

describe.each(dialects)('campaigns on %s', (dialect) => {
  let db: TestDatabase;
  let parley: Parley | undefined;
  afterEach(async () => {
    await parley?.stop();
    parley = undefined;
    await db?.dispose();
  });

  /** Parley on `db` with one flow loaded, campaigns' quiet hours and channel consent off; its WhatsApp adapter. */
  const withFlow = async (file: string, yaml: string, clock: () => Date, env: Record<string, string> = {}) => {
    const flow = parseFlowFile(file, yaml);
    if (!flow.ok) throw new Error(JSON.stringify(flow.problems));
    const adapter = new FakeAdapter();
    parley = await testParley(db, {
      adapters: [adapter],
      now: clock,
      flows: FlowRegistry.of([flow.flow], silentLogger, db),
      env: { PARLEY_CAMPAIGN_QUIET_HOURS: '00:00-00:00', PARLEY_CONSENT_CHANNELS: 'none', ...env },
    });
    return adapter;
  };
  /** A customer whose WhatsApp conversation an agent holds. */
  const heldCustomer = async (name: string, phone: string) => {
    const id = await customer(db, name, phone);
    const identity = await db.prisma.channelIdentity.findFirstOrThrow({ where: { customerId: id } });
    await db.prisma.conversation.create({
      data: { id: newId(), customerId: id, identityId: identity.id, channel: 'whatsapp', status: 'assigned', ref: newRef() },
      select: { id: true },
    });
    return id;
  };
  const settle = async () => {
    await parley!.jobs.drain();
    await parley!.dispatcher.drain({ timeoutMs: 10_000 });
  };

  it('sends at 09:00 local in Tehran, Dubai and London, in each one’s language, runs again the next day within the contact cap', async () => {
    db = await freshDatabase(dialect);
    let now = new Date('2026-03-09T12:00:00Z');
    const adapter = new FakeAdapter();
    parley = await testParley(db, { adapters: [adapter], now: () => now, env: { PARLEY_CAMPAIGN_CONTACT_CAP: '1/7d', PARLEY_CONTACT_CAP: '5/7d' } });
    await customer(db, 'Sara', '+989121234567', { locale: 'fa', wrote: true });
    await customer(db, 'Omar', '+971501234567', { locale: 'ar', wrote: true });
    await customer(db, 'Emma', '+447400123456', { locale: 'en', wrote: true });
    await customer(db, 'Reza', '+989127654321', { locale: 'fa', attributes: { timezone: 'Asia/Dubai' }, wrote: true });
    await customer(db, 'Nima', '+989120000000', { optedOut: true, wrote: true });
    // Never wrote on WhatsApp: no opt-in there.
    await customer(db, 'Lina', '+971509999999');
    await addSegment(db, { name: 'all', filter: {} }, 'test');
    await addCampaign(
      db,
      { name: 'nowruz', segment: 'all', text: TEXT, schedule: { date: '2026-03-10', time: '09:00', repeat: 'daily', until: '2026-03-11' } },
      () => true,
      'test',
    );
    await startCampaign(db, 'nowruz', 'test', now);

    const step = async (iso: string) => {
      now = new Date(iso);
      await parley!.jobs.drain();
      await parley!.dispatcher.drain({ timeoutMs: 10_000 });
    };
    await step('2026-03-09T18:59:00Z');
    expect(await recipients(db)).toEqual([]);
    // 09:00 on 10 March at UTC+14: the first run is targeted.
    await step('2026-03-09T19:00:00Z');
    const planned = await recipients(db);
    expect(Object.fromEntries(await Promise.all(planned.map(async (r) => [await nameOf(db, r.customerId), [r.timeZone, r.dueAt.toISOString()]])))).toEqual({
      Reza: ['Asia/Dubai', '2026-03-10T05:00:00.000Z'],
      Omar: ['Asia/Dubai', '2026-03-10T05:00:00.000Z'],
      Sara: ['Asia/Tehran', '2026-03-10T05:30:00.000Z'],
      Nima: ['Asia/Tehran', '2026-03-10T05:30:00.000Z'],
      Emma: ['Europe/London', '2026-03-10T09:00:00.000Z'],
      Lina: ['Asia/Dubai', '2026-03-10T05:00:00.000Z'],
    });
    expect(adapter.sent).toHaveLength(0);
    await step('2026-03-10T05:00:00Z');
    expect(adapter.sent.map((m) => m.content.text).sort()).toEqual(['سلام Reza', 'مرحبا Omar']);
    await step('2026-03-10T05:30:00Z');
    expect(adapter.sent.map((m) => m.content.text)).toContain('سلام Sara');
    await step('2026-03-10T09:00:00Z');
    expect(adapter.sent.map((m) => m.content.text)).toContain('Hello Emma');
    expect(adapter.sent).toHaveLength(4);
    const first = await recipients(db);
    expect(
      first
        .filter((r) => r.status === 'skipped')
        .map((r) => r.skipReason)
        .sort(),
    ).toEqual(['no_consent', 'opted_out']);
    // The customers' own conversations carried the messages.
    expect(await db.prisma.conversation.count()).toBe(5);
    expect((await getCampaign(db, 'nowruz')).status).toBe('running');

    // The second run (11 March): the campaign cap of 1 a week skips everyone; then it is over.
    await step('2026-03-10T19:00:00Z');
    await step('2026-03-11T09:00:00Z');
    const second = (await recipients(db)).filter((r) => r.run === 2);
    expect(second.map((r) => r.skipReason).sort()).toEqual(['frequency_cap', 'frequency_cap', 'frequency_cap', 'frequency_cap', 'no_consent', 'opted_out']);
    expect(adapter.sent).toHaveLength(4);
    expect((await getCampaign(db, 'nowruz')).status).toBe('completed');
    expect(await db.prisma.contactLog.count({ where: { kind: 'campaign' } })).toBe(4);
  });

  it('outside a closed service window queues only customers a valid template can reach; the others are skipped with the reason', async () => {
    db = await freshDatabase(dialect);
    const now = new Date('2026-03-10T10:00:00Z');
    const templatesFile = join(mkdtempSync(join(tmpdir(), 'parley-templates-')), 'templates.yaml');
    writeFileSync(
      templatesFile,
      `fallback_languages: []
templates:
  - name: spring_code
    purpose: campaign
    category: marketing
    variables: [customer_name, coupon]
    languages:
      en: { body: "Hello {{1}}, your code {{2}} is ready." }
      fa: { body: "سلام {{1}}، کد شما {{2}} آماده است." }
`,
    );
    const whatsapp = new FakeAdapter('whatsapp', { ...testCapabilities, serviceWindowMs: 24 * 60 * 60 * 1000 });
    parley = await testParley(db, {
      adapters: [whatsapp],
      now: () => now,
      env: { PARLEY_TEMPLATES_FILE: templatesFile, PARLEY_CAMPAIGN_QUIET_HOURS: '00:00-00:00', PARLEY_CONSENT_CHANNELS: 'none' },
    });
    // Wrote long ago, has a Persian template and its coupon: the template carries it.
    await customer(db, 'Sara', '+989121234567', { locale: 'fa', attributes: { coupon: 'NOWRUZ' }, wrote: true });
    // Wrote an hour ago: the window is open, no template needed (there is no Arabic one).
    await customer(db, 'Omar', '+971501234567', { locale: 'ar', wrote: true, wroteAt: new Date('2026-03-10T09:00:00Z') });
    // Never wrote, Arabic: no template in that language.
    await customer(db, 'Lina', '+971509999999', { locale: 'ar' });
    // Wrote 25 hours ago, English template, but no coupon to fill {{2}}.
    await customer(db, 'Emma', '+447400123456', { locale: 'en', wrote: true, wroteAt: new Date('2026-03-09T09:00:00Z') });
    await addSegment(db, { name: 'all', filter: {} }, 'test');
    await addCampaign(db, { name: 'spring', segment: 'all', text: TEXT, channel: 'whatsapp' }, () => true, 'test');
    await startCampaign(db, 'spring', 'test', now);
    await parley.jobs.drain();
    await parley.dispatcher.drain({ timeoutMs: 10_000 });

    const byName = Object.fromEntries(await Promise.all((await recipients(db)).map(async (r) => [await nameOf(db, r.customerId), [r.status, r.skipReason]])));
    expect(byName).toEqual({
      Sara: ['queued', null],
      Omar: ['queued', null],
      Lina: ['skipped', 'template_missing'],
      Emma: ['skipped', 'template_invalid'],
    });
    expect(whatsapp.sent.map((m) => m.content.text).sort()).toEqual(['سلام Sara', 'مرحبا Omar']);
    // A skipped customer is not counted as contacted.
    expect(await db.prisma.contactLog.count({ where: { kind: 'campaign' } })).toBe(2);
    const results = await campaignResults(db, 'spring');
    expect(results.total.skipped).toEqual({ template_missing: 1, template_invalid: 1 });
  });

  it('queues at most its share of the provider rate per window (counts, not timing), pauses, resumes and cancels', async () => {
    db = await freshDatabase(dialect);
    let now = new Date('2026-03-10T10:00:00Z');
    const limited = new FakeAdapter('whatsapp', { ...testCapabilities, rateLimits: { perChannel: { count: 10, perMs: 1000 } } });
    parley = await testParley(db, {
      adapters: [limited],
      now: () => now,
      env: { PARLEY_CAMPAIGN_RATE_SHARE: '50', PARLEY_CAMPAIGN_QUIET_HOURS: '00:00-00:00', PARLEY_CONSENT_CHANNELS: 'none' },
    });
    for (let i = 0; i < 23; i++) await customer(db, `c${i}`, `+9891210000${String(i).padStart(2, '0')}`);
    await addSegment(db, { name: 'all', filter: {} }, 'test');
    await addCampaign(db, { name: 'flash', segment: 'all', text: { en: 'Flash sale' } }, () => true, 'test');
    await startCampaign(db, 'flash', 'test', now);
    const queued = () => db.prisma.campaignRecipient.count({ where: { status: 'queued' } });
    const tick = async (ms: number) => {
      now = new Date(now.getTime() + ms);
      await parley!.jobs.drain();
    };
    await tick(0);
    // 50% of 10/s: 5 per second, however often the jobs run.
    expect(await queued()).toBe(5);
    await tick(500);
    expect(await queued()).toBe(5);
    await tick(500);
    expect(await queued()).toBe(10);
    await pauseCampaign(db, 'flash', 'test', now);
    await tick(5000);
    expect(await queued()).toBe(10);
    await resumeCampaign(db, 'flash', 'test', now);
    await tick(0);
    expect(await queued()).toBe(15);
    await tick(1000);
    expect(await queued()).toBe(20);
    await cancelCampaign(db, 'flash', 'test', now);
    await tick(1000);
    expect(await queued()).toBe(20);
    expect(await db.prisma.campaignRecipient.count({ where: { skipReason: 'cancelled' } })).toBe(3);
    await expect(resumeCampaign(db, 'flash', 'test', now)).rejects.toThrow('campaign "flash" is cancelled: only a paused campaign can be made running');
    await parley.dispatcher.drain({ timeoutMs: 20_000 });
    expect(limited.sent).toHaveLength(20);
  });

  it('starts a flow through the flow engine in a new conversation, records its first message, skips a customer an agent holds', async () => {
    db = await freshDatabase(dialect);
    const now = new Date('2026-03-10T10:00:00Z');
    const adapter = await withFlow('offer.yaml', OFFER, () => now);
    const sara = await customer(db, 'Sara', '+989121234567', { locale: 'fa' });
    const held = await heldCustomer('Held', '+989127777777');
    await addSegment(db, { name: 'all', filter: {} }, 'test');
    await expect(addCampaign(db, { name: 'x', segment: 'all', flow: 'nope' }, (id) => parley!.flows.get(id) !== undefined, 'test')).rejects.toThrow(
      'flow: no loaded flow has the id "nope"',
    );
    await addCampaign(db, { name: 'offer', segment: 'all', flow: 'spring_offer' }, (id) => parley!.flows.get(id) !== undefined, 'test');
    await startCampaign(db, 'offer', 'test', now);
    await settle();
    expect(adapter.sent.map((m) => m.content.text)).toEqual(['پیشنهاد بهاری برای شما', 'به امید دیدار']);
    const rows = await db.prisma.campaignRecipient.findMany();
    const saras = rows.find((r) => r.customerId === sara)!;
    expect(rows.find((r) => r.customerId === held)).toMatchObject({ status: 'skipped', skipReason: 'open_conversation' });
    const first = await db.prisma.message.findUniqueOrThrow({ where: { id: saras.messageId! } });
    expect(first.text).toBe('پیشنهاد بهاری برای شما');
    const session = await db.prisma.flowSession.findFirstOrThrow({ where: { conversationId: saras.conversationId! } });
    expect(session).toMatchObject({ flowId: 'spring_offer', startedBy: `campaign:${saras.campaignId}`, status: 'completed' });
  });

  it('a winback campaign and the inactive trigger reach a customer once between them, counted as win-back contacts', async () => {
    db = await freshDatabase(dialect);
    let now = new Date('2026-03-10T10:00:00Z');
    const adapter = await withFlow('comeback.yaml', COMEBACK, () => now, { PARLEY_WINBACK_CONTACT_CAP: '5/30d' });
    const flowExists = (id: string) => parley!.flows.get(id) !== undefined;
    const lapsed = async (name: string, phone: string) => {
      const id = await customer(db, name, phone, { wrote: true, wroteAt: new Date('2026-01-01T10:00:00Z') });
      await db.prisma.customer.update({ where: { id }, data: { lastSeenAt: new Date('2026-01-01T10:00:00Z') }, select: { id: true } });
      return id;
    };
    const sweep = async () => {
      await parley!.flowEngine!.scheduleSweep(now);
      await settle();
    };
    await expect(addCampaign(db, { name: 'wb-text', segment: 'x', kind: 'winback', text: TEXT }, flowExists, 'test')).rejects.toThrow(
      'kind: a winback campaign starts a flow in each variant',
    );
    // The inactive trigger reaches Sara first.
    const sara = await lapsed('Sara', '+989121234567');
    await sweep();
    expect(adapter.sent.map((m) => m.content.text)).toEqual(['We miss you']);
    // Then a win-back campaign: Omar is new to win-back, Sara was reached already.
    const omar = await lapsed('Omar', '+971501234567');
    await addSegment(db, { name: 'lapsed', filter: { lastSeen: { before: '30d' } } }, 'test');
    await addCampaign(db, { name: 'win-back', segment: 'lapsed', kind: 'winback', flow: 'comeback' }, flowExists, 'test');
    await startCampaign(db, 'win-back', 'test', now);
    await settle();
    const rows = await db.prisma.campaignRecipient.findMany();
    expect(rows.find((r) => r.customerId === sara)).toMatchObject({ status: 'skipped', skipReason: 'already_won_back' });
    expect(rows.find((r) => r.customerId === omar)).toMatchObject({ status: 'queued' });
    expect(adapter.sent.map((m) => m.content.text)).toEqual(['We miss you', 'We miss you']);
    // An hour later the trigger's sweep finds both reached: nobody hears it twice.
    now = new Date(now.getTime() + 3_600_000);
    await sweep();
    expect(adapter.sent).toHaveLength(2);
    expect(await db.prisma.contactLog.count({ where: { kind: 'winback' } })).toBe(2);
    expect(await db.prisma.contactLog.count({ where: { kind: 'campaign' } })).toBe(0);
    expect((await campaignResults(db, 'win-back')).total.skipped).toEqual({ already_won_back: 1 });
  });

  it('a flow start refused because an agent took the conversation after queueing is skipped with the reason, not left queued', async () => {
    db = await freshDatabase(dialect);
    const now = new Date('2026-03-10T10:00:00Z');
    // The policy lets busy customers through, so only the engine's rule is left to hold.
    const adapter = await withFlow('offer.yaml', OFFER, () => now, { PARLEY_CONTACT_SKIP_BUSY: 'none' });
    await heldCustomer('Held', '+989127777777');
    await addSegment(db, { name: 'all', filter: {} }, 'test');
    await addCampaign(db, { name: 'offer', segment: 'all', flow: 'spring_offer' }, (id) => parley!.flows.get(id) !== undefined, 'test');
    await startCampaign(db, 'offer', 'test', now);
    await settle();
    expect(adapter.sent).toHaveLength(0);
    expect(await db.prisma.campaignRecipient.findFirstOrThrow()).toMatchObject({ status: 'skipped', skipReason: 'open_conversation', messageId: null });
    expect((await campaignResults(db, 'offer')).total.skipped).toEqual({ open_conversation: 1 });
  });
});
