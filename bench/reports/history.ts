import type { Database } from '../../src/db/database.ts';
import { execute, numberSeries, raw } from '../../src/db/sql.ts';
import { historyCustomers, seedHistory } from '../e2e/history.ts';

/**
 * The end-to-end history (bench/e2e/history.ts: customers, identities, one conversation each,
 * last seen 1-80 days ago) plus what a report reads besides: every 7th customer a complaint
 * (three categories, half with a root cause, a quarter still open), every 5th a CSAT or NPS
 * answer and a survey dispatch (started, skipped, queued), every 4th a lifecycle change, every
 * 10th conversation a hand-off episode (a ninth of them breached). Spread over the last 90 days.
 */
export async function seedReportHistory(db: Database, customers: number): Promise<{ rows: number; seconds: number }> {
  const started = performance.now();
  const seeded = await seedHistory(db, historyCustomers(customers));
  const d = db.dialect;
  const minutesAgo = (expr: string) =>
    d === 'sqlite'
      ? `strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now', '-' || (${expr}) || ' minutes')`
      : `(now() at time zone 'utc' - ((${expr}) || ' minutes')::interval)::timestamp(3)`;
  const as = (value: string, type: string) => (d === 'sqlite' ? `'${value}'` : `'${value}'::"${type}"`);
  // Up to 90 days back, in minutes.
  const at = '(i * 37) % 129600';
  const statements = [
    `INSERT INTO "Ticket" ("id", "ref", "customerId", "conversationId", "kind", "category", "rootCause", "status", "subject", "fields", "createdAt", "updatedAt")
     SELECT 'ht' || i, 'HT-' || i, 'hc' || i, 'hv' || i, ${as('complaint', 'TicketKind')},
       CASE i % 3 WHEN 0 THEN 'delivery' WHEN 1 THEN 'billing' ELSE 'quality' END, CASE WHEN i % 2 = 0 THEN 'courier' END,
       CASE WHEN i % 4 = 0 THEN ${as('open', 'TicketStatus')} ELSE ${as('resolved', 'TicketStatus')} END, 'Late delivery', '{}', ${minutesAgo(at)}, ${minutesAgo(at)}
     FROM n WHERE i % 7 = 0`,
    `INSERT INTO "SurveyResponse" ("id", "customerId", "conversationId", "kind", "score", "createdAt")
     SELECT 'hs' || i, 'hc' || i, 'hv' || i, CASE WHEN i % 2 = 0 THEN ${as('csat', 'SurveyKind')} ELSE ${as('nps', 'SurveyKind')} END,
       CASE WHEN i % 2 = 0 THEN i % 5 + 1 ELSE i % 11 END, ${minutesAgo(at)}
     FROM n WHERE i % 5 = 0`,
    `INSERT INTO "SurveyDispatch" ("id", "customerId", "conversationId", "flowId", "status", "reason", "createdAt", "updatedAt")
     SELECT 'hd' || i, 'hc' || i, 'hv' || i, 'csat',
       CASE i % 3 WHEN 0 THEN ${as('started', 'SurveyDispatchStatus')} WHEN 1 THEN ${as('skipped', 'SurveyDispatchStatus')} ELSE ${as('queued', 'SurveyDispatchStatus')} END,
       CASE WHEN i % 3 = 1 THEN 'recent_survey' END, ${minutesAgo(at)}, ${minutesAgo(at)}
     FROM n WHERE i % 5 = 1`,
    `INSERT INTO "LifecycleChange" ("id", "customerId", "fromStage", "toStage", "reasons", "at")
     SELECT 'hl' || i, 'hc' || i, ${as('active', 'LifecycleStage')}, ${as('at_risk', 'LifecycleStage')}, '[]', ${minutesAgo(at)} FROM n WHERE i % 4 = 0`,
    `INSERT INTO "ConversationSla" ("id", "conversationId", "priority", "queuedAt", "firstResponseAt", "resolvedAt", "endReason", "firstResponseBreached")
     SELECT 'hq' || i, 'hv' || i, ${as('normal', 'Priority')}, ${minutesAgo(at)}, ${minutesAgo(`${at} - 5`)}, ${minutesAgo(`${at} - 60`)},
       ${as('resolved', 'EpisodeEnd')}, i % 9 = 0
     FROM n WHERE i % 10 = 0`,
  ];
  let rows = seeded.rows;
  for (const statement of statements) rows += await execute(db.prisma, raw(`${numberSeries(d, customers)} ${statement}`));
  return { rows, seconds: (performance.now() - started) / 1000 };
}
