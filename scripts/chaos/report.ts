import type { Tally } from './checker.ts';
import type { ScenarioReport } from './run.ts';

const ROWS: readonly { label: string; value: (t: Tally) => string }[] = [
  { label: 'provider faults injected', value: (t) => t.faultsInjected },
  { label: 'good messages sent', value: (t) => `${t.sent}` },
  { label: 'acknowledged (2xx)', value: (t) => `${t.acknowledged}` },
  { label: 'never acknowledged', value: (t) => `${t.unanswered}` },
  { label: 'stored', value: (t) => `${t.stored}` },
  { label: 'lost', value: (t) => `${t.lost}` },
  { label: 'stored twice', value: (t) => `${t.storedTwice}` },
  { label: 'out of order', value: (t) => `${t.outOfOrder}` },
  { label: 'replies delivered', value: (t) => t.deliveredByChannel },
  { label: 'replies missing', value: (t) => `${t.repliesMissing}` },
  { label: 'delivered twice (allowed)', value: (t) => `${t.deliveredTwice} (${t.deliveredTwiceAllowed})` },
  { label: 'permanent 4xx: marked failed', value: (t) => (t.permanentRefusals > 0 ? `${t.markedFailed}/${t.permanentRefusals}` : '-') },
  { label: '5xx to good webhooks', value: (t) => `${t.goodWebhook5xx}` },
  { label: 'poison sent / unanswered', value: (t) => (t.poisonSent > 0 ? `${t.poisonSent} / ${t.poisonUnanswered}` : '-') },
  { label: 'retried before Retry-After', value: (t) => `${t.retriedBeforeRetryAfter}` },
];

/** One table, a column per scenario, then each scenario's violations. */
export function formatReport(reports: readonly ScenarioReport[]): string {
  const header = ['', ...reports.map((r) => `${r.scenario.id}: ${r.scenario.title}`)];
  const meta = [
    ['processes / kills', ...reports.map((r) => `${r.scenario.processes} / ${r.kills}`)],
    ['seconds', ...reports.map((r) => `${r.seconds}`)],
  ];
  const body = ROWS.map((row) => [row.label, ...reports.map((r) => row.value(r.tally))]);
  const verdict = ['violations', ...reports.map((r) => (r.violations.length === 0 ? 'none' : `${r.violations.length}`))];
  const table = [header, ...meta, ...body, verdict];
  const widths = header.map((_, column) => Math.max(...table.map((line) => (line[column] ?? '').length)));
  const render = (line: string[]) => `| ${line.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  const lines = [render(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...table.slice(1).map(render)];
  for (const report of reports) {
    if (report.violations.length === 0) continue;
    lines.push('', `${report.scenario.id}: ${report.scenario.title}`);
    for (const violation of report.violations) lines.push(`  - ${violation}`);
    lines.push(`  logs: ${report.logFiles.join(', ')}`);
  }
  return lines.join('\n');
}
