import { DateTime } from 'luxon';
import { toAsciiDigits } from '../core/address.ts';
import { UserError } from '../core/errors.ts';
import { calendarDate } from '../flows/dates.ts';
import type { Report, ReportPart, TimeStats } from '../routing/reports.ts';
import type { Chart, ReportName, StudioReport } from './report-shapes.ts';

export { REPORT_NAMES, type ReportName } from './report-shapes.ts';

/** What each chart reads: the report's parts (only those are queried) and the sections of reportRows its CSV holds. */
const SOURCES: Record<ReportName, { parts: readonly ReportPart[]; csv: readonly string[] }> = {
  conversations: { parts: ['conversationsPerChannelPerDay'], csv: ['conversations'] },
  'response-times': { parts: ['firstResponse', 'resolution'], csv: ['first_response', 'resolution'] },
  csat: { parts: ['csat'], csv: ['csat'] },
  nps: { parts: ['nps'], csv: ['nps'] },
  complaints: { parts: ['complaints'], csv: ['complaints'] },
  'sla-breaches': { parts: ['slaBreaches'], csv: ['sla_breaches'] },
  lifecycle: { parts: ['lifecycle'], csv: ['lifecycle'] },
  funnels: { parts: ['flowFunnels'], csv: ['flows'] },
};
export const reportPartsOf = (name: ReportName): readonly ReportPart[] => SOURCES[name].parts;
export const csvSectionsOf = (name: ReportName): readonly string[] => SOURCES[name].csv;

export interface ReportRange {
  readonly from: string;
  readonly to: string;
  /** The instants the days start and end at in `timeZone`: [since, until). */
  readonly since: Date;
  readonly until: Date;
  readonly days: string[];
  readonly timeZone: string;
}

const DEFAULT_DAYS = 30;
const MAX_DAYS = 366;

/** "2026-03-01" (or "۱۴۰۴/۱۲/۱۰" with calendar jalali, any digits) to a Gregorian day; a 400 naming the parameter otherwise. */
function dayOf(name: string, text: string, calendar: 'gregorian' | 'jalali'): string {
  const match = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$/.exec(toAsciiDigits(text.trim()));
  const day = match ? calendarDate(Number(match[1]), Number(match[2]), Number(match[3]), calendar) : undefined;
  if (!day) throw new UserError(`query.${name}: "${text}" is not a ${calendar === 'jalali' ? 'Jalali date such as 1404-12-10' : 'date such as 2026-03-01'}`);
  return day;
}

/**
 * The days from..to (both included, last 30 days up to today when absent) in the reader's time
 * zone, and the instants they span.
 */
export function reportRange(query: { from?: string; to?: string; calendar?: 'gregorian' | 'jalali' }, timeZone: string, now: Date): ReportRange {
  const calendar = query.calendar ?? 'gregorian';
  const today = DateTime.fromJSDate(now, { zone: timeZone }).toISODate()!;
  const to = query.to === undefined ? today : dayOf('to', query.to, calendar);
  const from =
    query.from === undefined
      ? DateTime.fromISO(to, { zone: timeZone })
          .minus({ days: DEFAULT_DAYS - 1 })
          .toISODate()!
      : dayOf('from', query.from, calendar);
  const start = DateTime.fromISO(from, { zone: timeZone });
  const end = DateTime.fromISO(to, { zone: timeZone }).plus({ days: 1 });
  const count = Math.round(end.diff(start, 'days').days);
  if (count < 1) throw new UserError(`query: from (${from}) is after to (${to})`);
  if (count > MAX_DAYS) throw new UserError(`query: ${count} days from ${from} to ${to}; a report covers at most ${MAX_DAYS}`);
  const days = Array.from({ length: count }, (_, i) => start.plus({ days: i }).toISODate()!);
  return { from, to, since: start.toJSDate(), until: end.toJSDate(), days, timeZone };
}

const minutes = (ms: number | null) => (ms === null ? null : Math.round(ms / 6000) / 10);

function timesChart(id: string, groups: Record<string, TimeStats>): Chart {
  const names = Object.keys(groups);
  return {
    id,
    type: 'bar',
    unit: 'minutes',
    labels: names,
    datasets: [
      { key: 'median', data: names.map((n) => minutes(groups[n]!.medianMs)) },
      { key: 'p90', data: names.map((n) => minutes(groups[n]!.p90Ms)) },
    ],
  };
}

function countChart(id: string, counts: Record<string, number>, type: Chart['type'] = 'bar'): Chart {
  return { id, type, unit: 'count', labels: Object.keys(counts), datasets: [{ key: 'count', data: Object.values(counts) }] };
}

/** One chart's data taken from the report. */
export function studioReport(name: ReportName, report: Report, range: ReportRange): StudioReport {
  const { charts, figures = {} } = chartsOf(name, report, range.days);
  return { name, from: range.from, to: range.to, timeZone: range.timeZone, charts, figures };
}

function chartsOf(name: ReportName, report: Report, days: string[]): { charts: Chart[]; figures?: Record<string, number | null> } {
  switch (name) {
    case 'conversations': {
      const rows = report.conversationsPerChannelPerDay;
      const channels = [...new Set(rows.map((r) => r.channel))].sort();
      const datasets = channels.map((channel) => ({
        key: channel,
        data: days.map((day) => rows.find((r) => r.day === day && r.channel === channel)?.count ?? 0),
      }));
      return {
        charts: [{ id: 'per-channel-per-day', type: 'bar', unit: 'count', labels: days, datasets }],
        figures: { total: rows.reduce((n, r) => n + r.count, 0) },
      };
    }
    case 'response-times':
      return {
        charts: [
          timesChart('first-response-by-team', report.firstResponse.byTeam),
          timesChart('first-response-by-agent', report.firstResponse.byAgent),
          timesChart('resolution-by-team', report.resolution.byTeam),
          timesChart('resolution-by-agent', report.resolution.byAgent),
        ],
      };
    case 'csat':
      return { charts: [countChart('distribution', report.csat.distribution)], figures: { count: report.csat.count, average: report.csat.average } };
    case 'nps': {
      const { promoters, passives, detractors, count, score } = report.nps;
      return { charts: [countChart('segments', { promoters, passives, detractors }, 'doughnut')], figures: { count, score } };
    }
    case 'complaints':
      return { charts: [countChart('by-category', report.complaints.byCategory), countChart('by-root-cause', report.complaints.byRootCause)] };
    case 'sla-breaches': {
      const teams = report.slaBreaches.byTeam;
      const names = Object.keys(teams);
      const series = (key: 'episodes' | 'firstResponse' | 'resolution') => ({ key, data: names.map((n) => teams[n]![key]) });
      return {
        charts: [{ id: 'by-team', type: 'bar', unit: 'count', labels: names, datasets: [series('episodes'), series('firstResponse'), series('resolution')] }],
      };
    }
    case 'lifecycle':
      return { charts: [countChart('stages', report.lifecycle.stages), countChart('movements', report.lifecycle.movements)] };
    case 'funnels':
      return {
        charts: report.flowFunnels.map((f) => ({
          id: f.flowId,
          type: 'bar' as const,
          unit: 'count' as const,
          labels: f.steps.map((s) => s.stepId),
          datasets: [
            { key: 'entered', data: f.steps.map((s) => s.entered) },
            { key: 'completed', data: f.steps.map((s) => s.completed) },
          ],
        })),
        figures: Object.fromEntries(
          report.flowFunnels.flatMap((f) => [
            [`${f.flowId}.started`, f.started],
            [`${f.flowId}.completed`, f.completed],
            [`${f.flowId}.abandoned`, f.abandoned],
          ]),
        ),
      };
  }
}
