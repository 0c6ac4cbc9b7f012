import { newId } from '../../src/core/ids.ts';
import type { Database } from '../../src/db/database.ts';

/** March 2026 as reports see it: routing.reports and the studio's reports read the same rows and figures. */
export const at = (iso: string) => new Date(iso);
export const MIN = 60_000;

/** A hand-made month: every figure below is computed by hand from these rows. */
export async function seedReportMonth(db: Database) {
  const p = db.prisma;
  // A key customer (at risk now) and one who is not (new); the email conversation is the second's.
  const customer = await p.customer.create({
    data: { id: newId(), attributes: {}, tags: {}, isKey: true, lifecycleStage: 'at_risk', lastSeenAt: at('2026-03-10T00:00:00Z') },
  });
  const identity = await p.channelIdentity.create({ data: { id: newId(), customerId: customer.id, channel: 'whatsapp', address: '+989121234567' } });
  const other = await p.customer.create({ data: { id: newId(), attributes: {}, tags: {}, lastSeenAt: at('2026-03-02T10:00:00Z') } });
  const otherEmail = await p.channelIdentity.create({ data: { id: newId(), customerId: other.id, channel: 'email', address: 'sara@example.com' } });
  const support = await p.team.create({ data: { id: newId(), name: 'support' } });
  const sales = await p.team.create({ data: { id: newId(), name: 'sales' } });
  const ali = await p.agent.create({ data: { id: newId(), name: 'Ali' } });
  const bita = await p.agent.create({ data: { id: newId(), name: 'Bita' } });
  // Conversations: whatsapp 2 on 03-02, 1 on 03-03; email 1 on 03-02; one outside the range (02-20).
  const convs: [string, string, string | null, string | null][] = [
    ['whatsapp', '2026-03-02T08:00:00Z', support.id, ali.id],
    ['whatsapp', '2026-03-02T09:00:00Z', support.id, ali.id],
    ['email', '2026-03-02T10:00:00Z', support.id, bita.id],
    ['whatsapp', '2026-03-03T11:00:00Z', sales.id, bita.id],
    ['whatsapp', '2026-02-20T11:00:00Z', support.id, ali.id],
  ];
  // First responses after queueing: 2, 4, 10, 6 minutes (and 100 outside); resolutions 60, 120, -, 30 minutes.
  const first = [2, 4, 10, 6, 100];
  const resolved = [60, 120, null, 30, 5];
  // Episodes: support's third missed its first response, sales' its resolution; the third was handed off again.
  const breached = [
    [false, false],
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ];
  const ends = ['resolved', 'resolved', 'handed_off', 'resolved', 'resolved'] as const;
  for (const [i, [channel, createdAt, teamId, assigneeId]] of convs.entries()) {
    const id = newId();
    const queuedAt = at(createdAt);
    await p.conversation.create({
      data: {
        id,
        customerId: channel === 'email' ? other.id : customer.id,
        identityId: channel === 'email' ? otherEmail.id : identity.id,
        channel,
        teamId,
        assigneeId,
        status: 'resolved',
        createdAt: queuedAt,
      },
    });
    await p.conversationSla.create({
      data: {
        id: newId(),
        conversationId: id,
        teamId,
        agentId: assigneeId,
        priority: 'normal',
        queuedAt,
        firstResponseAt: new Date(queuedAt.getTime() + first[i]! * MIN),
        resolvedAt: resolved[i] === null ? null : new Date(queuedAt.getTime() + resolved[i]! * MIN),
        firstResponseBreached: breached[i]![0],
        resolutionBreached: breached[i]![1],
        endReason: ends[i],
        endedAt: new Date(queuedAt.getTime() + 200 * MIN),
      },
    });
  }
  // Lifecycle moves: new>active and active>at_risk in March, one in February (outside).
  for (const [fromStage, toStage, when] of [
    ['new', 'active', '2026-03-02T12:00:00Z'],
    ['active', 'at_risk', '2026-03-10T12:00:00Z'],
    ['new', 'active', '2026-02-01T12:00:00Z'],
  ] as const)
    await p.lifecycleChange.create({ data: { id: newId(), customerId: customer.id, fromStage, toStage, reasons: [], at: at(when) } });
  // Survey starts: 2 started, 1 waiting for the agent, 1 skipped by the contact cap.
  for (const [status, reason] of [
    ['started', null],
    ['started', null],
    ['queued', null],
    ['skipped', 'frequency_cap'],
  ] as const)
    await p.surveyDispatch.create({
      data: {
        id: newId(),
        customerId: customer.id,
        conversationId: newId(),
        flowId: 'csat',
        status,
        reason,
        createdAt: at('2026-03-05T00:00:00Z'),
        updatedAt: at('2026-03-05T00:00:00Z'),
      },
    });
  // CSAT 5, 4, 4, 1 (average 3.5); NPS 10, 9, 8, 6, 3 (2 promoters, 1 passive, 2 detractors: 0).
  for (const [kind, score] of [
    ['csat', 5],
    ['csat', 4],
    ['csat', 4],
    ['csat', 1],
    ['nps', 10],
    ['nps', 9],
    ['nps', 8],
    ['nps', 6],
    ['nps', 3],
  ] as const)
    await p.surveyResponse.create({ data: { id: newId(), customerId: customer.id, kind, score, createdAt: at('2026-03-05T00:00:00Z') } });
  await p.surveyResponse.create({ data: { id: newId(), customerId: customer.id, kind: 'csat', score: 1, createdAt: at('2026-01-05T00:00:00Z') } });
  // Complaints: delivery x2 (one root cause carrier_delay, one open), billing x1 (overcharge); a request is not a complaint.
  for (const [kind, category, rootCause] of [
    ['complaint', 'delivery', 'carrier_delay'],
    ['complaint', 'delivery', null],
    ['complaint', 'billing', 'overcharge'],
    ['request', 'delivery', null],
  ] as const)
    await p.ticket.create({
      data: {
        id: newId(),
        ref: newId().slice(-8),
        customerId: customer.id,
        kind,
        category,
        rootCause,
        subject: 's',
        fields: {},
        createdAt: at('2026-03-04T00:00:00Z'),
      },
    });
  // Flow funnel: 2 complaint sessions; both entered "category", one completed.
  const conversationId = (await p.conversation.findFirstOrThrow()).id;
  for (const status of ['completed', 'abandoned'] as const) {
    const sessionId = newId();
    await p.flowSession.create({
      data: {
        id: sessionId,
        conversationId,
        customerId: customer.id,
        flowId: 'complaint',
        flowVersion: 'v1',
        stepId: 'category',
        status,
        variables: {},
        createdAt: at('2026-03-06T00:00:00Z'),
      },
    });
  }
  await p.flowStepCount.createMany({
    data: [
      { flowId: 'complaint', flowVersion: 'v1', stepId: 'category', kind: 'entered', hour: at('2026-03-06T00:00:00Z'), count: 2 },
      { flowId: 'complaint', flowVersion: 'v1', stepId: 'category', kind: 'completed', hour: at('2026-03-06T00:00:00Z'), count: 1 },
    ],
  });
}

export const reportMonth = {
  since: '2026-03-01T00:00:00.000Z',
  until: '2026-03-31T00:00:00.000Z',
  conversationsPerChannelPerDay: [
    { day: '2026-03-02', channel: 'email', count: 1 },
    { day: '2026-03-02', channel: 'whatsapp', count: 2 },
    { day: '2026-03-03', channel: 'whatsapp', count: 1 },
  ],
  firstResponse: {
    // support: 2, 4, 10 -> median 4, p90 10; sales: 6. Ali: 2, 4 -> median 3, p90 4; Bita: 10, 6 -> median 8, p90 10.
    byTeam: { sales: { count: 1, medianMs: 6 * MIN, p90Ms: 6 * MIN }, support: { count: 3, medianMs: 4 * MIN, p90Ms: 10 * MIN } },
    byAgent: { Ali: { count: 2, medianMs: 3 * MIN, p90Ms: 4 * MIN }, Bita: { count: 2, medianMs: 8 * MIN, p90Ms: 10 * MIN } },
  },
  resolution: {
    // support: 60, 120 -> median 90, p90 120; sales: 30. Ali: 60, 120; Bita: 30.
    byTeam: { sales: { count: 1, medianMs: 30 * MIN, p90Ms: 30 * MIN }, support: { count: 2, medianMs: 90 * MIN, p90Ms: 120 * MIN } },
    byAgent: { Ali: { count: 2, medianMs: 90 * MIN, p90Ms: 120 * MIN }, Bita: { count: 1, medianMs: 30 * MIN, p90Ms: 30 * MIN } },
  },
  slaBreaches: { byTeam: { sales: { episodes: 1, firstResponse: 0, resolution: 1 }, support: { episodes: 3, firstResponse: 1, resolution: 0 } } },
  episodes: { count: 4, byEnd: { handed_off: 1, resolved: 3 } },
  lifecycle: { stages: { new: 1, active: 0, at_risk: 1, churned: 0 }, movements: { 'active>at_risk': 1, 'new>active': 1 } },
  // 3 of the 4 March conversations are the key customer's.
  keyCustomers: { customers: 1, conversations: 3, share: 0.75 },
  // Scored as of 03-31 (window from 2025-12-31). The key customer: 21 days inactive 9.3 + 3 complaints 25
  // + 4 low ratings (CSAT 1 twice, NPS 6 and 3; capped at 3) 20 + 4 open tickets (capped) 15 = 69, high.
  // The other: 28 days inactive 12.4 and nothing else = 12, low.
  churnBands: {
    low: { customers: 1, keyCustomers: 0, keyShare: 0 },
    medium: { customers: 0, keyCustomers: 0, keyShare: null },
    high: { customers: 1, keyCustomers: 1, keyShare: 1 },
  },
  surveys: { started: 2, queued: 1, skipped: { frequency_cap: 1 } },
  csat: { count: 4, average: 3.5, distribution: { '1': 1, '2': 0, '3': 0, '4': 2, '5': 1 } },
  nps: { count: 5, promoters: 2, passives: 1, detractors: 2, score: 0 },
  complaints: { byCategory: { billing: 1, delivery: 2 }, byRootCause: { '(open)': 1, carrier_delay: 1, overcharge: 1 } },
  flowFunnels: [{ flowId: 'complaint', started: 2, completed: 1, abandoned: 1, steps: [{ stepId: 'category', entered: 2, completed: 1 }] }],
};
