import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { Database } from '../db/database.ts';
import { buildReport, reportCsv } from '../routing/reports.ts';
import { requireRole } from './auth.ts';
import { studioScope } from './http.ts';
import { csvSectionsOf, REPORT_NAMES, reportPartsOf, reportRange, studioReport } from './reports.ts';
import { STUDIO_ACCESS } from './roles.ts';

export interface StudioReportsApiOptions {
  readonly db: Database;
  readonly now: () => Date;
  /** The reader's time zone (PARLEY_AGENT_TIMEZONE): days start and end on its clock. */
  readonly timeZone: string;
}

const ReportQuery = z.object({
  from: z.string().optional().describe('first day, included: 2026-03-01 (or 1404-12-10 with calendar=jalali); 30 days before `to` when absent'),
  to: z.string().optional().describe('last day, included; today when absent'),
  calendar: z.enum(['gregorian', 'jalali']).default('gregorian').describe('the calendar `from` and `to` are written in'),
  format: z.enum(['json', 'csv']).default('json'),
});

/** GET /reports/<name>: one chart's data for a range of days, or its CSV (managers and admins). */
export const studioReportsApi: FastifyPluginAsync<StudioReportsApiOptions> = async (plain, { db, now, timeZone }) => {
  const app = studioScope(plain);
  app.get(
    '/reports/:name',
    {
      preHandler: requireRole(...STUDIO_ACCESS.reports),
      schema: { summary: "A report chart's data, or its CSV", params: z.object({ name: z.enum(REPORT_NAMES) }), querystring: ReportQuery },
    },
    async (request, reply) => {
      const { name } = request.params;
      const range = reportRange(request.query, timeZone, now());
      const report = await buildReport(db, range.since, range.until, { timeZone, parts: reportPartsOf(name) });
      if (request.query.format === 'json') return studioReport(name, report, range);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="parley-${name}-${range.from}-${range.to}.csv"`)
        .send(reportCsv(report, csvSectionsOf(name)));
    },
  );
};
