import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { numberSeries } from '../src/db/sql.ts';
import { AgentText } from '../src/agent-text/agent-text.ts';
import { buildReport, formatReport } from '../src/routing/reports.ts';
import { buildServer } from '../src/server/app.ts';
import type { Parley } from '../src/runtime.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';
import { testParley } from './support/parley.ts';
import { at, reportMonth, seedReportMonth } from './support/report-fixture.ts';

describe.each(dialects)('reports on %s', (dialect) => {
  let db: TestDatabase;
  let parley: Parley;
  beforeEach(async () => {
    db = await freshDatabase(dialect);
    await seedReportMonth(db);
  });
  afterEach(async () => {
    await parley?.stop();
    await db.dispose();
  });

  it('every figure matches the hand-computed fixture', async () => {
    expect(await buildReport(db, at('2026-03-01T00:00:00Z'), at('2026-03-31T00:00:00Z'))).toEqual(reportMonth);
  });

  it('scores every customer active in the period, however many (more than a statement may bind)', async () => {
    const numbers = numberSeries(dialect, 1200);
    const day = dialect === 'sqlite' ? "'2026-03-10T10:00:00.000+00:00'" : "'2026-03-10 10:00:00'::timestamp(3)";
    await db.prisma.$executeRawUnsafe(
      `${numbers} INSERT INTO "Customer" ("id", "attributes", "tags", "updatedAt", "lastSeenAt") SELECT 'many' || i, '{}', '[]', ${day}, ${day} FROM n`,
    );
    await db.prisma.$executeRawUnsafe(
      `${numbers} INSERT INTO "ChannelIdentity" ("id", "customerId", "channel", "address") SELECT 'many-i' || i, 'many' || i, 'sms', '+9891200' || i FROM n`,
    );
    await db.prisma.$executeRawUnsafe(
      `${numbers} INSERT INTO "Conversation" ("id", "customerId", "identityId", "channel", "createdAt", "lastMessageAt") SELECT 'many-c' || i, 'many' || i, 'many-i' || i, 'sms', ${day}, ${day} FROM n`,
    );
    const { churnBands } = await buildReport(db, at('2026-03-01T00:00:00Z'), at('2026-03-31T00:00:00Z'), { parts: ['churnBands'] });
    const customers = (bands: typeof churnBands) => bands.low.customers + bands.medium.customers + bands.high.customers;
    expect(customers(churnBands)).toBe(customers(reportMonth.churnBands) + 1200);
  });

  it("counts conversations per day of the reader's time zone, to the minute (Tehran +03:30, Kathmandu +05:45)", async () => {
    await db.prisma.customer.create({ data: { id: 'tz', attributes: {}, tags: [] } });
    await db.prisma.channelIdentity.create({ data: { id: 'tz-i', customerId: 'tz', channel: 'sms', address: '+989120000001' } });
    // Just before and at midnight in Tehran (20:29:59 and 20:30 UTC), and in Kathmandu (18:14:59 and 18:15 UTC).
    const times = ['2026-03-20T18:14:59.999Z', '2026-03-20T18:15:00.000Z', '2026-03-20T20:29:59.999Z', '2026-03-20T20:30:00.000Z'];
    for (const [i, time] of times.entries())
      await db.prisma.conversation.create({ data: { id: `tz-c${i}`, customerId: 'tz', identityId: 'tz-i', channel: 'sms', createdAt: at(time) } });
    const days = async (timeZone: string) =>
      (await buildReport(db, at('2026-03-20T00:00:00Z'), at('2026-03-21T00:00:00Z'), { timeZone, parts: ['conversationsPerChannelPerDay'] }))
        .conversationsPerChannelPerDay;
    expect(await days('Asia/Tehran')).toEqual([
      { day: '2026-03-20', channel: 'sms', count: 3 },
      { day: '2026-03-21', channel: 'sms', count: 1 },
    ]);
    expect(await days('Asia/Kathmandu')).toEqual([
      { day: '2026-03-20', channel: 'sms', count: 1 },
      { day: '2026-03-21', channel: 'sms', count: 3 },
    ]);
    expect(await days('UTC')).toEqual([{ day: '2026-03-20', channel: 'sms', count: 4 }]);
  });

  it('GET /api/v1/reports?since=30d answers JSON and CSV; the table prints every section', async () => {
    parley = await testParley(db, { env: { PARLEY_API_TOKEN: 'secret' }, now: () => at('2026-03-31T00:00:00Z') });
    const app = await buildServer(parley);
    const headers = { authorization: 'Bearer secret' };
    const json = await app.inject({ method: 'GET', url: '/api/v1/reports?since=30d', headers });
    expect(json.statusCode).toBe(200);
    expect(json.json()).toEqual({ report: reportMonth });
    const csv = await app.inject({ method: 'GET', url: '/api/v1/reports?since=30d&format=csv', headers });
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    const lines = csv.body.trim().split('\n');
    expect(lines[0]).toBe('section,group,metric,value');
    expect(lines).toContain('first_response,team support,median_s,240');
    expect(lines).toContain('resolution,agent Ali,p90_s,7200');
    expect(lines).toContain('nps,all,score,0');
    expect(lines).toContain('complaints,root_cause carrier_delay,count,1');
    const bad = await app.inject({ method: 'GET', url: '/api/v1/reports?since=thirty', headers });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/^query.since: "thirty" is neither a duration .* nor an ISO date/);
    expect(lines).toContain('sla_breaches,team support,first_response,1');
    expect(lines).toContain('key_customers,all,share,0.75');
    expect(lines).toContain('lifecycle,moved active>at_risk,count,1');
    expect(lines).toContain('surveys,skipped frequency_cap,count,1');
    expect(lines).toContain('churn_bands,band high 60-100,key_share,1');
    expect(lines).toContain('churn_bands,band medium 30-59,key_share,');
    expect(lines).toContain('churn_bands,band low 0-29,customers,1');
    const table = formatReport(reportMonth, 'table', new AgentText('en', 'UTC'));
    expect(table.split('\n')[0]).toBe('Report 2026/03/01 00:00 .. 2026/03/31 00:00 (times in seconds, dates in UTC)');
    for (const section of [
      'Conversations',
      'First response',
      'SLA breaches',
      'Hand-off episodes',
      'Lifecycle',
      'Key customers',
      'Churn-score bands (customers active in the period)',
      'Surveys',
      'CSAT',
      'NPS',
      'Complaints',
      'Flows',
    ])
      expect(table).toContain(`\n${section}\n`);
    expect(table).toMatch(/ {2}2026\/03\/02 email +count +1\n/);
    // A Persian reader in Tehran: Jalali dates on Tehran's clock, Persian digits, Persian headings.
    const fa = formatReport(reportMonth, 'table', new AgentText('fa', 'Asia/Tehran'));
    expect(fa.split('\n')[0]).toBe('گزارش ۱۴۰۴/۱۲/۱۰ ۰۳:۳۰ تا ۱۴۰۵/۰۱/۱۱ ۰۳:۳۰ (زمان‌ها به ثانیه، تاریخ‌ها به وقت Asia/Tehran)');
    expect(fa).toMatch(/ {2}۱۴۰۴\/۱۲\/۱۱ email +count +۱\n/);
    expect(fa).toContain('\nنقض‌های SLA\n');
    expect(fa).toMatch(/ {2}band high 60-100 +key_customers +۱\n/);
    await app.close();
  });
});
