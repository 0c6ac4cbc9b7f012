import { toCsv } from '../core/csv.ts';
import type { AgentText } from '../agent-text/agent-text.ts';
import type { MessageKey } from '../agent-text/catalog.ts';
import { CHURN_MODEL, type ChurnBand, churnBandCounts } from '../crm/churn.ts';
import type { Database } from '../db/database.ts';
import { decodeRows, queryRows, sql } from '../db/sql.ts';
import { flowStats } from '../flows/stats.ts';
import { DateTime } from 'luxon';

export interface TimeStats {
  readonly count: number;
  /** Milliseconds; null when there is nothing to measure. */
  readonly medianMs: number | null;
  readonly p90Ms: number | null;
}

export interface Report {
  readonly since: string;
  readonly until: string;
  readonly conversationsPerChannelPerDay: { day: string; channel: string; count: number }[];
  readonly firstResponse: { byTeam: Record<string, TimeStats>; byAgent: Record<string, TimeStats> };
  readonly resolution: { byTeam: Record<string, TimeStats>; byAgent: Record<string, TimeStats> };
  /** Per team: episodes queued in the range and how many missed each target. */
  readonly slaBreaches: { byTeam: Record<string, { episodes: number; firstResponse: number; resolution: number }> };
  /** Hand-off episodes queued in the range, by how they ended (open: not yet). */
  readonly episodes: { count: number; byEnd: Record<string, number> };
  /** Customers per stage now, and the stage changes recorded in the range ("active>at_risk"). */
  readonly lifecycle: { stages: Record<string, number>; movements: Record<string, number> };
  /**
   * Customers flagged key now; conversations of the range that are theirs, and that share of all
   * of the range's conversations (0..1, two decimals; null without conversations).
   */
  readonly keyCustomers: { customers: number; conversations: number; share: number | null };
  /**
   * Customers active in the range (a conversation started in it), by churn band scored as of
   * `until` (bands: CHURN_MODEL.bands); keyShare is the key customers' share of the band (0..1,
   * two decimals; null for an empty band).
   */
  readonly churnBands: Record<ChurnBand, { customers: number; keyCustomers: number; keyShare: number | null }>;
  /** Automatic survey starts in the range: started, waiting for an agent to resolve, skipped by reason. */
  readonly surveys: { started: number; queued: number; skipped: Record<string, number> };
  readonly csat: { count: number; average: number | null; distribution: Record<'1' | '2' | '3' | '4' | '5', number> };
  readonly nps: { count: number; promoters: number; passives: number; detractors: number; score: number | null };
  readonly complaints: { byCategory: Record<string, number>; byRootCause: Record<string, number> };
  readonly flowFunnels: {
    flowId: string;
    started: number;
    completed: number;
    abandoned: number;
    steps: { stepId: string; entered: number; completed: number }[];
  }[];
}

/** Nearest-rank percentile (p in 0..100) of sorted values: the smallest value with p% at or below it. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** Median: the middle value, or the mean of the two middle values. */
export function median(sorted: readonly number[]): number | null {
  if (sorted.length === 0) return null;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function stats(values: number[]): TimeStats {
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, medianMs: median(sorted), p90Ms: percentile(sorted, 90) };
}

function groupStats(rows: { key: string; ms: number }[]): Record<string, TimeStats> {
  const groups = new Map<string, number[]>();
  for (const r of rows) {
    const values = groups.get(r.key);
    if (values) values.push(r.ms);
    else groups.set(r.key, [r.ms]);
  }
  return Object.fromEntries([...groups.keys()].sort().map((k) => [k, stats(groups.get(k)!)]));
}

/** Counts per key, keys in order: from rows the database grouped (each key's counts added). */
const counted = (rows: readonly { key: string; n: number }[]) => {
  const out: Record<string, number> = {};
  for (const r of [...rows].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) out[r.key] = (out[r.key] ?? 0) + r.n;
  return out;
};

const share = (part: number, whole: number) => (whole ? Math.round((part / whole) * 100) / 100 : null);

export type ReportPart = Exclude<keyof Report, 'since' | 'until'>;

/**
 * SQLite answers on the event loop's thread: at 100,000 customers a report's queries together
 * held it for 1.1-1.4 s, and webhooks waited that long for their acknowledgement. Each part
 * starts on a turn of its own, so requests are read between them.
 */
const turnOfEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Every current UTC offset is a whole number of quarter hours (+03:30, +05:45): a quarter hour falls in one day of any zone. */
const BUCKET_MS = 15 * 60_000;

/** Conversations started in the range per channel and quarter hour (UTC), and how many are key customers'. */
async function conversationCounts(db: Database, since: Date, until: Date) {
  const bucket = db.dialect === 'sqlite' ? sql`unixepoch(v."createdAt") / 900` : sql`floor(extract(epoch from v."createdAt") / 900)`;
  const rows = await queryRows(
    db.prisma,
    sql`SELECT v."channel" AS "channel", ${bucket} AS "bucket", COUNT(*) AS "n", SUM(CASE WHEN c."isKey" THEN 1 ELSE 0 END) AS "key"
      FROM "Conversation" v JOIN "Customer" c ON c."id" = v."customerId"
      WHERE v."createdAt" >= ${since} AND v."createdAt" < ${until} GROUP BY 1, 2`,
  );
  return decodeRows<{ channel: string; bucket: number; n: number; key: number }>(db.dialect, rows, { bucket: 'integer', n: 'integer', key: 'integer' });
}

/** Active customers by churn band, with the key customers' share of each band. */
async function churnBandsOf(db: Database, since: Date, until: Date): Promise<Report['churnBands']> {
  const counts = await churnBandCounts(db, since, until);
  return Object.fromEntries(
    (['low', 'medium', 'high'] as const).map((band) => {
      const { customers, keyCustomers } = counts[band];
      return [band, { customers, keyCustomers, keyShare: share(keyCustomers, customers) }];
    }),
  ) as Report['churnBands'];
}

const NO_CHURN_BANDS: Report['churnBands'] = {
  low: { customers: 0, keyCustomers: 0, keyShare: null },
  medium: { customers: 0, keyCustomers: 0, keyShare: null },
  high: { customers: 0, keyCustomers: 0, keyShare: null },
};

/**
 * The manager's numbers for [since, until): days are the reader's (`timeZone`, UTC by default);
 * response times run from the moment a conversation was queued for people
 * (ConversationSla.queuedAt), in wall-clock time. With `parts` (one studio chart), only what
 * those parts need is queried; the other parts are left empty.
 */
export async function buildReport(db: Database, since: Date, until: Date, options: { timeZone?: string; parts?: readonly ReportPart[] } = {}): Promise<Report> {
  const zone = options.timeZone ?? 'UTC';
  const range = { gte: since, lt: until };
  const want = (...parts: ReportPart[]) => !options.parts || parts.some((p) => options.parts!.includes(p));
  const when = async <T>(wanted: boolean, query: () => Promise<T>, empty: T): Promise<T> => {
    if (!wanted) return empty;
    await turnOfEventLoop();
    return query();
  };
  const conversations = await when(want('conversationsPerChannelPerDay', 'keyCustomers'), () => conversationCounts(db, since, until), []);
  const perDay = new Map<string, number>();
  const dayOf = new Map<number, string>();
  for (const c of conversations) {
    let day = dayOf.get(c.bucket);
    if (day === undefined) dayOf.set(c.bucket, (day = DateTime.fromMillis(c.bucket * BUCKET_MS, { zone }).toISODate() as string));
    const key = `${day}\u0000${c.channel}`;
    perDay.set(key, (perDay.get(key) ?? 0) + c.n);
  }
  const conversationTotal = conversations.reduce((sum, c) => sum + c.n, 0);
  // One row per hand-off episode: a conversation handed off three times counts three times.
  const slas = await when(
    want('firstResponse', 'resolution', 'slaBreaches', 'episodes'),
    () =>
      db.prisma.conversationSla.findMany({
        where: { queuedAt: range },
        select: {
          teamId: true,
          agentId: true,
          queuedAt: true,
          firstResponseAt: true,
          resolvedAt: true,
          endReason: true,
          firstResponseBreached: true,
          resolutionBreached: true,
        },
      }),
    [],
  );
  const agents = await when(
    slas.length > 0,
    () =>
      db.prisma.agent.findMany({
        where: { id: { in: [...new Set(slas.flatMap((s) => (s.agentId ? [s.agentId] : [])))] } },
        select: { id: true, name: true },
      }),
    [],
  );
  const teams = await when(slas.length > 0, () => db.prisma.team.findMany({ select: { id: true, name: true } }), []);
  const teamNames = new Map(teams.map((t) => [t.id, t.name]));
  const agentNames = new Map(agents.map((a) => [a.id, a.name]));
  const teamName = (id: string | null) => (id === null ? undefined : teamNames.get(id)) ?? '(no team)';
  const agentName = (id: string | null) => (id === null ? undefined : agentNames.get(id)) ?? '(unassigned)';
  const measure = (field: 'firstResponseAt' | 'resolvedAt') =>
    slas.flatMap((s) => (s[field] ? [{ team: teamName(s.teamId), agent: agentName(s.agentId), ms: s[field]!.getTime() - s.queuedAt.getTime() }] : []));
  const first = measure('firstResponseAt');
  const resolved = measure('resolvedAt');

  const breaches: Report['slaBreaches']['byTeam'] = {};
  for (const s of [...slas].sort((a, b) => (teamName(a.teamId) < teamName(b.teamId) ? -1 : 1))) {
    const row = (breaches[teamName(s.teamId)] ??= { episodes: 0, firstResponse: 0, resolution: 0 });
    row.episodes++;
    if (s.firstResponseBreached) row.firstResponse++;
    if (s.resolutionBreached) row.resolution++;
  }

  const stages = await when(
    want('lifecycle'),
    () => db.prisma.customer.groupBy({ by: ['lifecycleStage'], where: { mergedIntoId: null }, _count: { _all: true } }),
    [],
  );
  const movements = await when(
    want('lifecycle'),
    () => db.prisma.lifecycleChange.groupBy({ by: ['fromStage', 'toStage'], where: { at: range }, _count: { _all: true } }),
    [],
  );
  const keyCustomers = await when(want('keyCustomers'), () => db.prisma.customer.count({ where: { isKey: true, mergedIntoId: null } }), 0);
  const keyConversations = conversations.reduce((sum, c) => sum + c.key, 0);
  const churnBands = await when(want('churnBands'), () => churnBandsOf(db, since, until), NO_CHURN_BANDS);
  const dispatches = await when(
    want('surveys'),
    () => db.prisma.surveyDispatch.groupBy({ by: ['status', 'reason'], where: { createdAt: range }, _count: { _all: true } }),
    [],
  );
  const dispatched = (status: string) => dispatches.filter((d) => d.status === status);

  const surveys = await when(
    want('csat', 'nps'),
    () => db.prisma.surveyResponse.groupBy({ by: ['kind', 'score'], where: { createdAt: range }, _count: { _all: true } }),
    [],
  );
  const scores = (kind: string) => surveys.filter((s) => s.kind === kind).map((s) => ({ score: s.score, n: s._count._all }));
  const total = (rows: readonly { n: number }[]) => rows.reduce((sum, r) => sum + r.n, 0);
  const csat = scores('csat');
  const nps = scores('nps');
  const [csatCount, npsCount] = [total(csat), total(nps)];
  const promoters = total(nps.filter((s) => s.score >= 9));
  const detractors = total(nps.filter((s) => s.score <= 6));

  const complaintsWhere = { kind: 'complaint' as const, createdAt: range };
  const categories = await when(want('complaints'), () => db.prisma.ticket.groupBy({ by: ['category'], where: complaintsWhere, _count: { _all: true } }), []);
  const rootCauses = await when(want('complaints'), () => db.prisma.ticket.groupBy({ by: ['rootCause'], where: complaintsWhere, _count: { _all: true } }), []);

  const flowIds = (await when(want('flowFunnels'), () => db.prisma.flowSession.groupBy({ by: ['flowId'], where: { createdAt: range } }), []))
    .map((f) => f.flowId)
    .sort();
  const flowFunnels = [];
  for (const flowId of flowIds) {
    await turnOfEventLoop();
    const s = await flowStats(db, flowId, undefined, since);
    flowFunnels.push({
      flowId,
      ...s.sessions,
      steps: s.steps.map((step) => ({ stepId: step.stepId, entered: step.counts.entered, completed: step.counts.completed })),
    });
  }

  return {
    since: since.toISOString(),
    until: until.toISOString(),
    conversationsPerChannelPerDay: [...perDay.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, n]) => ({ day: key.split('\u0000')[0]!, channel: key.split('\u0000')[1]!, count: n })),
    firstResponse: { byTeam: groupStats(first.map((r) => ({ key: r.team, ms: r.ms }))), byAgent: groupStats(first.map((r) => ({ key: r.agent, ms: r.ms }))) },
    resolution: {
      byTeam: groupStats(resolved.map((r) => ({ key: r.team, ms: r.ms }))),
      byAgent: groupStats(resolved.map((r) => ({ key: r.agent, ms: r.ms }))),
    },
    slaBreaches: { byTeam: breaches },
    episodes: { count: slas.length, byEnd: counted(slas.map((s) => ({ key: s.endReason ?? 'open', n: 1 }))) },
    lifecycle: {
      stages: Object.fromEntries(
        ['new', 'active', 'at_risk', 'churned'].map((stage) => [stage, stages.find((g) => g.lifecycleStage === stage)?._count._all ?? 0]),
      ),
      movements: counted(movements.map((m) => ({ key: `${m.fromStage}>${m.toStage}`, n: m._count._all }))),
    },
    keyCustomers: {
      customers: keyCustomers,
      conversations: keyConversations,
      share: share(keyConversations, conversationTotal),
    },
    churnBands,
    surveys: {
      started: total(dispatched('started').map((d) => ({ n: d._count._all }))),
      queued: total(dispatched('queued').map((d) => ({ n: d._count._all }))),
      skipped: counted(dispatched('skipped').map((d) => ({ key: d.reason ?? '(none)', n: d._count._all }))),
    },
    csat: {
      count: csatCount,
      average: csatCount ? Math.round((csat.reduce((sum, s) => sum + s.score * s.n, 0) / csatCount) * 100) / 100 : null,
      distribution: { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0, ...counted(csat.map((s) => ({ key: String(s.score), n: s.n }))) },
    },
    nps: {
      count: npsCount,
      promoters,
      passives: npsCount - promoters - detractors,
      detractors,
      score: npsCount ? Math.round(((promoters - detractors) / npsCount) * 100) : null,
    },
    complaints: {
      byCategory: counted(categories.map((c) => ({ key: c.category ?? '(none)', n: c._count._all }))),
      byRootCause: counted(rootCauses.map((c) => ({ key: c.rootCause ?? '(open)', n: c._count._all }))),
    },
    flowFunnels: flowFunnels.map(({ flowId, started, completed, abandoned, steps }) => ({ flowId, started, completed, abandoned, steps })),
  };
}

/** A band's score range, e.g. "30-59", from CHURN_MODEL.bands. */
function bandRange(band: ChurnBand): string {
  const { medium, high } = CHURN_MODEL.bands;
  return band === 'low' ? `0-${medium - 1}` : band === 'medium' ? `${medium}-${high - 1}` : `${high}-100`;
}

/** Flat rows (section, group, metric, value): the CSV and the table print these. */
export function reportRows(report: Report): [string, string, string, string][] {
  const rows: [string, string, string, string][] = [];
  const ms = (v: number | null) => (v === null ? '' : String(Math.round(v / 1000)));
  for (const r of report.conversationsPerChannelPerDay) rows.push(['conversations', `${r.day} ${r.channel}`, 'count', String(r.count)]);
  for (const [section, data] of [
    ['first_response', report.firstResponse],
    ['resolution', report.resolution],
  ] as const) {
    for (const [by, groups] of [
      ['team', data.byTeam],
      ['agent', data.byAgent],
    ] as const)
      for (const [name, s] of Object.entries(groups)) {
        rows.push([section, `${by} ${name}`, 'count', String(s.count)]);
        rows.push([section, `${by} ${name}`, 'median_s', ms(s.medianMs)]);
        rows.push([section, `${by} ${name}`, 'p90_s', ms(s.p90Ms)]);
      }
  }
  for (const [team, b] of Object.entries(report.slaBreaches.byTeam)) {
    rows.push(['sla_breaches', `team ${team}`, 'episodes', String(b.episodes)]);
    rows.push(['sla_breaches', `team ${team}`, 'first_response', String(b.firstResponse)]);
    rows.push(['sla_breaches', `team ${team}`, 'resolution', String(b.resolution)]);
  }
  rows.push(['episodes', 'all', 'count', String(report.episodes.count)]);
  for (const [end, n] of Object.entries(report.episodes.byEnd)) rows.push(['episodes', `ended ${end}`, 'count', String(n)]);
  for (const [stage, n] of Object.entries(report.lifecycle.stages)) rows.push(['lifecycle', `stage ${stage}`, 'customers', String(n)]);
  for (const [move, n] of Object.entries(report.lifecycle.movements)) rows.push(['lifecycle', `moved ${move}`, 'count', String(n)]);
  const key = report.keyCustomers;
  rows.push(
    ['key_customers', 'all', 'customers', String(key.customers)],
    ['key_customers', 'all', 'conversations', String(key.conversations)],
    ['key_customers', 'all', 'share', key.share === null ? '' : String(key.share)],
  );
  for (const [band, b] of Object.entries(report.churnBands)) {
    const group = `band ${band} ${bandRange(band as ChurnBand)}`;
    rows.push(
      ['churn_bands', group, 'customers', String(b.customers)],
      ['churn_bands', group, 'key_customers', String(b.keyCustomers)],
      ['churn_bands', group, 'key_share', b.keyShare === null ? '' : String(b.keyShare)],
    );
  }
  rows.push(['surveys', 'all', 'started', String(report.surveys.started)], ['surveys', 'all', 'queued', String(report.surveys.queued)]);
  for (const [reason, n] of Object.entries(report.surveys.skipped)) rows.push(['surveys', `skipped ${reason}`, 'count', String(n)]);
  rows.push(['csat', 'all', 'count', String(report.csat.count)], ['csat', 'all', 'average', report.csat.average === null ? '' : String(report.csat.average)]);
  for (const [score, n] of Object.entries(report.csat.distribution)) rows.push(['csat', `score ${score}`, 'count', String(n)]);
  const { nps } = report;
  rows.push(
    ['nps', 'all', 'count', String(nps.count)],
    ['nps', 'all', 'promoters', String(nps.promoters)],
    ['nps', 'all', 'passives', String(nps.passives)],
    ['nps', 'all', 'detractors', String(nps.detractors)],
    ['nps', 'all', 'score', nps.score === null ? '' : String(nps.score)],
  );
  for (const [c, n] of Object.entries(report.complaints.byCategory)) rows.push(['complaints', `category ${c}`, 'count', String(n)]);
  for (const [c, n] of Object.entries(report.complaints.byRootCause)) rows.push(['complaints', `root_cause ${c}`, 'count', String(n)]);
  for (const f of report.flowFunnels) {
    rows.push(
      ['flows', f.flowId, 'started', String(f.started)],
      ['flows', f.flowId, 'completed', String(f.completed)],
      ['flows', f.flowId, 'abandoned', String(f.abandoned)],
    );
    for (const s of f.steps) rows.push(['flows', `${f.flowId} ${s.stepId}`, 'entered', String(s.entered)]);
  }
  return rows;
}

/** The report's rows as CSV (section, group, metric, value); with `sections`, only those sections' rows. */
export function reportCsv(report: Report, sections?: readonly string[]): string {
  const rows = reportRows(report).filter((r) => !sections || sections.includes(r[0]));
  return toCsv([['section', 'group', 'metric', 'value'], ...rows]);
}

/** JSON and CSV are for machines (ISO dates, ASCII digits); the table is for the reader (PARLEY_AGENT_LOCALE). */
export function formatReport(report: Report, format: 'json' | 'csv' | 'table', text: AgentText): string {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  if (format === 'csv') return reportCsv(report);
  const rows = reportRows(report);
  // The conversations' group is "YYYY-MM-DD channel" (a UTC day): the day in the reader's calendar.
  const shown = rows.map(([section, group, metric, value]) => {
    const day = section === 'conversations' ? /^(\d{4}-\d{2}-\d{2}) (.*)$/.exec(group) : null;
    return [section, day ? `${text.calendarDay(day[1]!)} ${day[2]}` : group, metric, text.digits(value)] as const;
  });
  const header = [text.t('report.column.group'), text.t('report.column.metric'), text.t('report.column.value')] as const;
  const widths = ([1, 2] as const).map((i) => Math.max(...shown.map((r) => r[i].length), (header[i - 1] as string).length, 8));
  const title = text.t('report.title', { since: text.dateTime(new Date(report.since)), until: text.dateTime(new Date(report.until)), timeZone: text.timeZone });
  const lines = [title, '', `  ${header[0].padEnd(widths[0]!)}  ${header[1].padEnd(widths[1]!)}  ${header[2]}`];
  let section = '';
  for (const r of shown) {
    if (r[0] !== section) lines.push('', text.t(`report.section.${(section = r[0])}` as MessageKey));
    lines.push(`  ${r[1].padEnd(widths[0]!)}  ${r[2].padEnd(widths[1]!)}  ${r[3]}`);
  }
  return `${lines.join('\n')}\n`;
}
