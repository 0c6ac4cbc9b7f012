import { afterEach, describe, expect, it } from 'vitest';
import { newId, newRef } from '../src/core/ids.ts';
import { loadConfig } from '../src/config.ts';
import { checkContact, checkContacts, contactPolicyFrom, type ContactKind, recordContact } from '../src/contact/policy.ts';
import { RoutingConfigSchema } from '../src/routing/config.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';

const DAY = 86_400_000;
const t0 = new Date('2026-03-01T09:00:00Z');
const at = (days: number) => new Date(t0.getTime() + days * DAY);
const policyOf = (env: Record<string, string> = {}) => contactPolicyFrom(loadConfig({ DATABASE_URL: 'file:./x.db', ...env }));

describe.each(dialects)('the contact policy on %s', (dialect) => {
  let db: TestDatabase;
  afterEach(async () => db?.dispose());

  /** A customer with an identity on `channel` and a conversation; `wrote`: with an inbound message in it. */
  async function customer(channel = 'whatsapp', options: { wrote?: boolean; status?: 'bot' | 'assigned' | 'resolved' } = {}) {
    const customerId = newId();
    await db.prisma.customer.create({ data: { id: customerId, attributes: {}, tags: [] }, select: { id: true } });
    const identityId = newId();
    await db.prisma.channelIdentity.create({ data: { id: identityId, customerId, channel, address: `+9891200${newId().slice(-5)}` }, select: { id: true } });
    const conversationId = newId();
    await db.prisma.conversation.create({
      data: { id: conversationId, customerId, identityId, channel, status: options.status ?? 'resolved' },
      select: { id: true },
    });
    if (options.wrote ?? true)
      await db.prisma.message.create({
        data: { id: newId(), conversationId, channel, direction: 'inbound', authorKind: 'customer', text: 'سلام', attachments: [], deliveryStatus: 'received' },
        select: { id: true },
      });
    return { customerId, identityId, conversationId };
  }

  it('skips with the reason: no channel, opted out, no consent, open complaint, open conversation (held or mid-flow), only for the kinds configured', async () => {
    db = await freshDatabase(dialect);
    const policy = policyOf();
    const check = (customerId: string, kind: ContactKind = 'campaign', channel = 'whatsapp') => checkContact(db, { customerId, channel, kind }, t0, policy);

    const fine = await customer();
    expect(await check(fine.customerId)).toEqual({ allowed: true });
    expect(await check(fine.customerId, 'campaign', 'email')).toEqual({ allowed: false, reason: 'no_channel' });

    const optedOut = await customer();
    await db.prisma.channelIdentity.update({ where: { id: optedOut.identityId }, data: { optedOutAt: at(-1) }, select: { id: true } });
    expect(await check(optedOut.customerId, 'survey')).toEqual({ allowed: false, reason: 'opted_out' });

    // Never wrote on WhatsApp: no opt-in for a campaign there; a notice is not marketing.
    const silent = await customer('whatsapp', { wrote: false });
    expect(await check(silent.customerId)).toEqual({ allowed: false, reason: 'no_consent' });
    expect(await check(silent.customerId, 'notice')).toEqual({ allowed: true });
    const silentEmail = await customer('email', { wrote: false });
    expect(await check(silentEmail.customerId, 'campaign', 'email')).toEqual({ allowed: true });

    const complaining = await customer();
    await db.prisma.ticket.create({
      data: { id: newId(), ref: newRef(), customerId: complaining.customerId, kind: 'complaint', status: 'in_progress', subject: 'late', fields: {} },
      select: { id: true },
    });
    expect(await check(complaining.customerId)).toEqual({ allowed: false, reason: 'open_complaint' });
    expect(await check(complaining.customerId, 'winback')).toEqual({ allowed: true });

    const held = await customer('whatsapp', { status: 'assigned' });
    expect(await check(held.customerId)).toEqual({ allowed: false, reason: 'open_conversation' });

    const midFlow = await customer('whatsapp', { status: 'bot' });
    const session = newId();
    await db.prisma.flowSession.create({
      data: {
        id: session,
        conversationId: midFlow.conversationId,
        customerId: midFlow.customerId,
        flowId: 'order',
        flowVersion: 'v',
        stepId: 'ask',
        variables: {},
        updatedAt: at(-0.5),
      },
      select: { id: true },
    });
    expect(await check(midFlow.customerId)).toEqual({ allowed: false, reason: 'open_conversation' });
    // A flow left waiting longer than the reopen window (24h by default) is over for the policy.
    expect(await checkContact(db, { customerId: midFlow.customerId, channel: 'whatsapp', kind: 'campaign' }, at(2), policy)).toEqual({ allowed: true });

    const relaxed = policyOf({ PARLEY_CONTACT_SKIP_BUSY: 'none', PARLEY_CONSENT_CHANNELS: 'none' });
    const batch = await checkContacts(
      db,
      [held, complaining, silent].map((c) => ({ customerId: c.customerId, channel: 'whatsapp', kind: 'campaign' as const })),
      t0,
      relaxed,
    );
    expect(batch).toEqual([{ allowed: true }, { allowed: true }, { allowed: true }]);
  });

  it('caps contacts per customer across campaign, win-back and survey, per kind and per channel, with a fake clock', async () => {
    db = await freshDatabase(dialect);
    const policy = policyOf({
      PARLEY_CONTACT_CAP: '3/7d',
      PARLEY_CAMPAIGN_CONTACT_CAP: '2/7d',
      PARLEY_WINBACK_CONTACT_CAP: '1/30d',
      PARLEY_SURVEY_CONTACT_CAP: '1/7d',
      PARLEY_CHANNEL_CONTACT_CAPS: 'sms=1/7d',
      // The SMS number below was never written from: campaigns may use it here.
      PARLEY_CONSENT_CHANNELS: 'whatsapp',
    });
    const { customerId } = await customer();
    await db.prisma.channelIdentity.create({
      data: { id: newId(), customerId, channel: 'sms', address: `+9893500${newId().slice(-5)}` },
      select: { id: true },
    });
    const send = async (kind: ContactKind, day: number, channel = 'whatsapp') => {
      const decision = await checkContact(db, { customerId, channel, kind }, at(day), policy);
      if (decision.allowed)
        await db.write((tx) => recordContact(tx, { customerId, channel, kind, campaignId: kind === 'campaign' ? 'spring' : undefined }, at(day)));
      return decision.allowed ? 'sent' : decision.reason;
    };

    expect(await send('campaign', 0)).toBe('sent');
    expect(await send('winback', 1)).toBe('sent');
    // The win-back's own cap: one in 30 days.
    expect(await send('winback', 1.5)).toBe('frequency_cap');
    expect(await send('survey', 2)).toBe('sent');
    // Three contacts of three kinds within 7 days: the overall cap holds back a campaign
    // although the campaign cap (2/7d) has room.
    expect(await send('campaign', 3)).toBe('frequency_cap');
    expect(await send('notice', 3)).toBe('frequency_cap');
    // Day 7 + 1 minute: the first campaign left the window.
    expect(await send('campaign', 7.001, 'sms')).toBe('sent');
    // The SMS channel cap (1/7d), then the survey's own (1/7d, from day 2).
    expect(await send('campaign', 8.5, 'sms')).toBe('frequency_cap');
    expect(await send('survey', 8.5)).toBe('frequency_cap');
    expect(await send('campaign', 8.6)).toBe('sent');
    // Two campaigns within 7 days (days 7 and 8.6): the campaign cap; a notice still fits overall.
    expect(await send('campaign', 9.1)).toBe('frequency_cap');
    expect(await send('notice', 9.1)).toBe('sent');

    const log = await db.prisma.contactLog.findMany({ where: { customerId }, orderBy: { at: 'asc' }, select: { kind: true, channel: true, campaignId: true } });
    expect(log.map((l) => `${l.kind}/${l.channel}/${l.campaignId ?? '-'}`)).toEqual([
      'campaign/whatsapp/spring',
      'winback/whatsapp/-',
      'survey/whatsapp/-',
      'campaign/sms/spring',
      'campaign/whatsapp/spring',
      'notice/whatsapp/-',
    ]);
  });
});

describe('contact policy settings', () => {
  it('reads the caps and refuses bad ones naming the setting', () => {
    const policy = policyOf({ PARLEY_CHANNEL_CONTACT_CAPS: 'sms=1/7d, whatsapp=2/3d', PARLEY_CONTACT_SKIP_BUSY: 'campaign,survey' });
    expect(policy.overall).toEqual({ max: 3, withinMs: 7 * DAY });
    expect(policy.perKind).toEqual({
      campaign: { max: 2, withinMs: 7 * DAY },
      winback: { max: 2, withinMs: 30 * DAY },
      survey: { max: 1, withinMs: 7 * DAY },
      notice: { max: 3, withinMs: DAY },
    });
    expect(policy.perChannel).toEqual({ sms: { max: 1, withinMs: 7 * DAY }, whatsapp: { max: 2, withinMs: 3 * DAY } });
    expect(policy.skipBusy).toEqual(['campaign', 'survey']);
    expect(policy.consentChannels).toEqual(['whatsapp', 'sms']);
    expect(() => policyOf({ PARLEY_CAMPAIGN_CONTACT_CAP: 'twice a week' })).toThrow(
      /PARLEY_CAMPAIGN_CONTACT_CAP.*"twice a week" is not messages\/duration such as 2\/7d/,
    );
    expect(() => policyOf({ PARLEY_CHANNEL_CONTACT_CAPS: 'sms:1/7d' })).toThrow(/PARLEY_CHANNEL_CONTACT_CAPS.*"sms:1\/7d" is not channel=messages\/duration/);
    // The routing file's old win-back cap is refused with where it went.
    const old = RoutingConfigSchema.safeParse({ lifecycle: { contact_cap: { max: 1, within: '30d' } } });
    expect(old.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'lifecycle.contact_cap: lifecycle.contact_cap moved to the contact policy: set PARLEY_WINBACK_CONTACT_CAP (and PARLEY_CONTACT_CAP), see "Never too often" in the README',
    ]);
    expect(() => policyOf({ PARLEY_CONTACT_SKIP_BUSY: 'marketing' })).toThrow(/PARLEY_CONTACT_SKIP_BUSY.*"marketing" is not a contact kind/);
  });
});
