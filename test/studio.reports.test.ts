import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../src/core/ids.ts';
import { buildReport } from '../src/routing/reports.ts';
import type { Parley } from '../src/runtime.ts';
import { buildServer } from '../src/server/app.ts';
import { REPORT_NAMES, reportPartsOf, reportRange, studioReport, type ReportName } from '../src/studio/reports.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';
import { testParley } from './support/parley.ts';
import { logIn, studioUser } from './support/studio.ts';
import { at, reportMonth, seedReportMonth } from './support/report-fixture.ts';

const now = at('2026-03-31T12:00:00Z');

describe('report ranges', () => {
  it('takes ISO or Jalali days, both ends included, on the reader’s clock', () => {
    const tehran = reportRange({ from: '2026-03-01', to: '2026-03-30' }, 'Asia/Tehran', now);
    expect(tehran.since.toISOString()).toBe('2026-02-28T20:30:00.000Z');
    expect(tehran.until.toISOString()).toBe('2026-03-30T20:30:00.000Z');
    expect(tehran.days).toHaveLength(30);
    // 1404/12/10 is 1 March 2026; Persian digits are read too.
    const jalali = reportRange({ from: '۱۴۰۴/۱۲/۱۰', to: '1405-01-10', calendar: 'jalali' }, 'Asia/Tehran', now);
    expect([jalali.from, jalali.to]).toEqual(['2026-03-01', '2026-03-30']);
    const last30 = reportRange({}, 'UTC', now);
    expect([last30.from, last30.to, last30.days.length]).toEqual(['2026-03-02', '2026-03-31', 30]);
  });

  it('refuses what is not a day, a reversed range and more than a year, naming the parameter', () => {
    expect(() => reportRange({ from: 'March' }, 'UTC', now)).toThrow('query.from: "March" is not a date such as 2026-03-01');
    expect(() => reportRange({ to: '1404-13-01', calendar: 'jalali' }, 'UTC', now)).toThrow('query.to: "1404-13-01" is not a Jalali date such as 1404-12-10');
    expect(() => reportRange({ from: '2026-03-05', to: '2026-03-01' }, 'UTC', now)).toThrow('query: from (2026-03-05) is after to (2026-03-01)');
    expect(() => reportRange({ from: '2024-01-01', to: '2026-03-01' }, 'UTC', now)).toThrow(/a report covers at most 366/);
  });
});

describe.each(dialects)('studio report charts on %s', (dialect) => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await freshDatabase(dialect);
    await seedReportMonth(db);
  });
  afterEach(async () => {
    await db.dispose();
  });

  const chartsOf = async (name: ReportName, timeZone = 'UTC') => {
    const range = reportRange({ from: '2026-03-01', to: '2026-03-30' }, timeZone, now);
    return studioReport(name, await buildReport(db, range.since, range.until, { timeZone, parts: reportPartsOf(name) }), range);
  };

  it('every chart carries the hand-computed figures of the fixture', async () => {
    const conversations = await chartsOf('conversations');
    expect(conversations.charts[0]!.labels.slice(0, 4)).toEqual(['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04']);
    expect(conversations.charts[0]!.datasets.map((d) => [d.key, d.data.slice(0, 4)])).toEqual([
      ['email', [0, 1, 0, 0]],
      ['whatsapp', [0, 2, 1, 0]],
    ]);
    expect(conversations.figures).toEqual({ total: 4 });

    const times = await chartsOf('response-times');
    // First response: support 2, 4, 10 min (median 4, p90 10); sales 6. Resolution: Ali 60, 120 (90, 120); Bita 30.
    expect(times.charts.map((c) => c.id)).toEqual(['first-response-by-team', 'first-response-by-agent', 'resolution-by-team', 'resolution-by-agent']);
    expect(times.charts[0]).toMatchObject({
      unit: 'minutes',
      labels: ['sales', 'support'],
      datasets: [
        { key: 'median', data: [6, 4] },
        { key: 'p90', data: [6, 10] },
      ],
    });
    expect(times.charts[3]).toMatchObject({
      labels: ['Ali', 'Bita'],
      datasets: [
        { key: 'median', data: [90, 30] },
        { key: 'p90', data: [120, 30] },
      ],
    });

    expect(await chartsOf('csat')).toMatchObject({
      charts: [{ labels: ['1', '2', '3', '4', '5'], datasets: [{ data: [1, 0, 0, 2, 1] }] }],
      figures: { count: 4, average: 3.5 },
    });
    expect(await chartsOf('nps')).toMatchObject({
      charts: [{ type: 'doughnut', labels: ['promoters', 'passives', 'detractors'], datasets: [{ data: [2, 1, 2] }] }],
      figures: { count: 5, score: 0 },
    });
    expect((await chartsOf('complaints')).charts.map((c) => [c.labels, c.datasets[0]!.data])).toEqual([
      [
        ['billing', 'delivery'],
        [1, 2],
      ],
      [
        ['(open)', 'carrier_delay', 'overcharge'],
        [1, 1, 1],
      ],
    ]);
    expect((await chartsOf('sla-breaches')).charts[0]).toMatchObject({
      labels: ['sales', 'support'],
      datasets: [
        { key: 'episodes', data: [1, 3] },
        { key: 'firstResponse', data: [0, 1] },
        { key: 'resolution', data: [1, 0] },
      ],
    });
    expect((await chartsOf('lifecycle')).charts.map((c) => [c.labels, c.datasets[0]!.data])).toEqual([
      [
        ['new', 'active', 'at_risk', 'churned'],
        [1, 0, 1, 0],
      ],
      [
        ['active>at_risk', 'new>active'],
        [1, 1],
      ],
    ]);
    expect(await chartsOf('funnels')).toMatchObject({
      charts: [
        {
          id: 'complaint',
          labels: ['category'],
          datasets: [
            { key: 'entered', data: [2] },
            { key: 'completed', data: [1] },
          ],
        },
      ],
      figures: { 'complaint.started': 2, 'complaint.completed': 1, 'complaint.abandoned': 1 },
    });
  });

  it('a chart queries only its parts of the report: the rest stay empty', async () => {
    const only = await buildReport(db, at('2026-03-01T00:00:00Z'), at('2026-03-31T00:00:00Z'), { parts: ['csat'] });
    expect(only.csat).toEqual(reportMonth.csat);
    expect([only.conversationsPerChannelPerDay, only.flowFunnels, only.complaints.byCategory, only.churnBands.high.customers]).toEqual([[], [], {}, 0]);
  });

  it('buckets days on the reader’s clock: 21:00 UTC on 3 March is 4 March in Tehran', async () => {
    const customer = await db.prisma.customer.findFirstOrThrow({ select: { id: true, identities: { select: { id: true } } } });
    await db.prisma.conversation.create({
      data: {
        id: newId(),
        customerId: customer.id,
        identityId: customer.identities[0]!.id,
        channel: 'sms',
        status: 'resolved',
        createdAt: at('2026-03-03T21:00:00Z'),
      },
      select: { id: true },
    });
    const sms = async (timeZone: string) => (await chartsOf('conversations', timeZone)).charts[0]!.datasets.find((d) => d.key === 'sms')!.data.slice(0, 4);
    expect(await sms('UTC')).toEqual([0, 0, 1, 0]);
    expect(await sms('Asia/Tehran')).toEqual([0, 0, 0, 1]);
  });
});

describe.each(dialects)('studio reports API on %s', (dialect) => {
  let db: TestDatabase;
  let parley: Parley | undefined;
  let app: FastifyInstance;
  beforeEach(async () => {
    db = await freshDatabase(dialect);
    await seedReportMonth(db);
    parley = await testParley(db, { env: { PARLEY_AGENT_TIMEZONE: 'Asia/Tehran' }, now: () => now });
    app = await buildServer(parley);
    for (const role of ['manager', 'agent'] as const) await studioUser(db, `${role}@example.com`, role);
  });
  afterEach(async () => {
    await app?.close();
    await parley?.stop();
    await db.dispose();
  });

  it('a manager reads each chart and its CSV; days are Tehran’s, the range may be Jalali', async () => {
    const cookie = (await logIn(app, 'manager@example.com')).read.cookie;
    const get = (url: string) => app.inject({ method: 'GET', url, headers: { cookie } });
    const csat = await get('/studio/api/reports/csat?from=2026-03-01&to=2026-03-30');
    expect(csat.statusCode).toBe(200);
    expect(csat.json()).toEqual({
      name: 'csat',
      from: '2026-03-01',
      to: '2026-03-30',
      timeZone: 'Asia/Tehran',
      charts: [{ id: 'distribution', type: 'bar', unit: 'count', labels: ['1', '2', '3', '4', '5'], datasets: [{ key: 'count', data: [1, 0, 0, 2, 1] }] }],
      figures: { count: 4, average: 3.5 },
    });
    const jalali = await get(`/studio/api/reports/nps?from=${encodeURIComponent('۱۴۰۴/۱۲/۱۰')}&to=1405-01-10&calendar=jalali`);
    expect(jalali.json()).toMatchObject({ from: '2026-03-01', to: '2026-03-30', figures: { count: 5, score: 0 } });
    const conversations = await get('/studio/api/reports/conversations?from=2026-03-01&to=2026-03-30');
    expect(conversations.json().charts[0].datasets).toEqual([
      { key: 'email', data: [0, 1, ...Array(28).fill(0)] },
      { key: 'whatsapp', data: [0, 2, 1, ...Array(27).fill(0)] },
    ]);
    const times = await get('/studio/api/reports/response-times?from=2026-03-01&to=2026-03-30&format=csv');
    expect(times.headers['content-type']).toMatch(/^text\/csv/);
    expect(times.headers['content-disposition']).toBe('attachment; filename="parley-response-times-2026-03-01-2026-03-30.csv"');
    const lines = times.body.trim().split('\n');
    expect(lines[0]).toBe('section,group,metric,value');
    expect(lines).toContain('first_response,team support,median_s,240');
    expect(lines).toContain('resolution,agent Ali,p90_s,7200');
    expect(lines.every((l, i) => i === 0 || /^(first_response|resolution),/.test(l))).toBe(true);
    for (const name of REPORT_NAMES) {
      const answer = await get(`/studio/api/reports/${name}?from=2026-03-01&to=2026-03-30`);
      expect(answer.statusCode, name).toBe(200);
      expect(answer.json().charts.length, name).toBeGreaterThan(0);
      expect((await get(`/studio/api/reports/${name}?from=2026-03-01&to=2026-03-30&format=csv`)).body.split('\n').length, name).toBeGreaterThan(2);
    }
    const bad = await get('/studio/api/reports/csat?from=yesterday');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toBe('query.from: "yesterday" is not a date such as 2026-03-01');
    expect((await get('/studio/api/reports/revenue')).statusCode).toBe(400);
  });

  it('an agent may not read reports; without a session nobody may', async () => {
    const cookie = (await logIn(app, 'agent@example.com')).read.cookie;
    const agent = await app.inject({ method: 'GET', url: '/studio/api/reports/csat', headers: { cookie } });
    expect(agent.statusCode).toBe(403);
    expect(agent.json().error.message).toMatch(/agent may not do this/);
    const nobody = await app.inject({ method: 'GET', url: '/studio/api/reports/csat?format=csv' });
    expect(nobody.statusCode).toBe(401);
    expect(nobody.body).not.toContain('csat,');
  });
});
