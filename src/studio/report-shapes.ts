/** What the reports endpoints answer: shared by the server and the studio page (no imports: it is bundled for browsers). */

/** The studio's charts; each is one GET /studio/api/reports/<name>. */
export const REPORT_NAMES = ['conversations', 'response-times', 'csat', 'nps', 'complaints', 'sla-breaches', 'lifecycle', 'funnels'] as const;
export type ReportName = (typeof REPORT_NAMES)[number];

/**
 * One chart as Chart.js draws it. `labels` and dataset `key`s that are words of ours ("median",
 * "at_risk", "(none)") are translated by the page; the rest (days, channels, teams, agents,
 * categories) are data and shown as they are. Days are "YYYY-MM-DD" in the reader's time zone.
 */
export interface Chart {
  readonly id: string;
  readonly type: 'bar' | 'doughnut';
  /** What the values count: minutes for response times, otherwise how many. */
  readonly unit: 'count' | 'minutes';
  readonly labels: string[];
  readonly datasets: { key: string; data: (number | null)[] }[];
}

export interface StudioReport {
  readonly name: ReportName;
  /** The range asked for, first and last day included, as Gregorian "YYYY-MM-DD". */
  readonly from: string;
  readonly to: string;
  readonly timeZone: string;
  readonly charts: Chart[];
  /** The single numbers shown beside the charts (an average, a score). */
  readonly figures: Record<string, number | null>;
}
