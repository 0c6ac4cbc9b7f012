import { useEffect, useRef, useState } from 'preact/hooks';
import { REPORT_NAMES, type Chart, type ReportName, type StudioReport } from '../../report-shapes.ts';
import { api } from '../api.ts';
import { drawChart, type ChartWords } from '../charts.ts';
import { formatDate, formatNumber, isRtl, type Locale, t, useLocale } from '../i18n.ts';
import '../report-texts.ts';
import type { StudioPage } from './index.ts';
import './reports.css';

/** The text under `prefix + key` when the catalogue has one; data (a team, a channel) stays as it is. */
export function wordOf(prefix: string, key: string, locale: Locale): string {
  const text = t(prefix + key, {}, locale);
  return text === prefix + key ? key : text;
}

/** A "YYYY-MM-DD" day in the reader's calendar and digits (Jalali for fa). */
export function dayText(isoDay: string, locale: Locale, options: Intl.DateTimeFormatOptions = { year: 'numeric', month: '2-digit', day: '2-digit' }): string {
  return formatDate(`${isoDay}T12:00:00Z`, locale, { ...options, timeZone: 'UTC' });
}

const addDays = (isoDay: string, days: number) => new Date(Date.parse(`${isoDay}T12:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

interface Range {
  readonly from: string;
  readonly to: string;
}

/** Charts of a range of days (the server's last 30 by default), each with its CSV. */
export function ReportsPage() {
  const locale = useLocale();
  const [query, setQuery] = useState('');
  const [range, setRange] = useState<Range & { timeZone: string }>();
  return (
    <div class="reports-page">
      <RangePicker locale={locale} range={range} onQuery={setQuery} />
      {range && (
        <p class="report-range">{t('reports.range', { from: dayText(range.from, locale), to: dayText(range.to, locale), timeZone: range.timeZone })}</p>
      )}
      <div class="report-grid">
        {REPORT_NAMES.map((name) => (
          <ReportCard key={name} name={name} query={query} locale={locale} onRange={name === 'conversations' ? setRange : undefined} />
        ))}
      </div>
    </div>
  );
}

/**
 * From and to, in the reader's calendar: date inputs (Gregorian) for en and ar, Jalali text
 * (۱۴۰۵/۰۱/۱۰) for fa, sent with calendar=jalali; and the last 7, 30, 90 days.
 */
function RangePicker({ locale, range, onQuery }: { locale: Locale; range: Range | undefined; onQuery: (query: string) => void }) {
  const jalali = locale === 'fa';
  const shown = (day: string | undefined) => (day === undefined ? '' : jalali ? dayText(day, locale) : day);
  const [from, setFrom] = useState(shown(range?.from));
  const [to, setTo] = useState(shown(range?.to));
  useEffect(() => {
    setFrom(shown(range?.from));
    setTo(shown(range?.to));
  }, [range?.from, range?.to, locale]);
  const submit = (event: Event) => {
    event.preventDefault();
    onQuery(new URLSearchParams({ from, to, ...(jalali ? { calendar: 'jalali' } : {}) }).toString());
  };
  const last = (days: number) => {
    const end = range?.to;
    onQuery(end ? new URLSearchParams({ from: addDays(end, 1 - days), to: end }).toString() : '');
  };
  const field = (name: 'from' | 'to', value: string, set: (v: string) => void) => (
    <label>
      {t(`reports.${name}`)}{' '}
      <input
        name={name}
        type={jalali ? 'text' : 'date'}
        inputMode={jalali ? 'numeric' : undefined}
        placeholder={t('reports.dateHint')}
        value={value}
        onInput={(e) => set((e.target as HTMLInputElement).value)}
        required
      />
    </label>
  );
  return (
    <form class="range-picker" onSubmit={submit}>
      {field('from', from, setFrom)}
      {field('to', to, setTo)}
      <button type="submit">{t('reports.show')}</button>
      {[7, 30, 90].map((days) => (
        <button key={days} type="button" class="preset" onClick={() => last(days)}>
          {t('reports.last', { days })}
        </button>
      ))}
    </form>
  );
}

function ReportCard({ name, query, locale, onRange }: { name: ReportName; query: string; locale: Locale; onRange?: (report: StudioReport) => void }) {
  const [report, setReport] = useState<StudioReport>();
  const [error, setError] = useState<string>();
  const path = `/studio/api/reports/${name}${query ? `?${query}` : ''}`;
  useEffect(() => {
    let live = true;
    setError(undefined);
    api.get<StudioReport>(path).then(
      (answer) => {
        if (!live) return;
        setReport(answer);
        onRange?.(answer);
      },
      (failure: Error) => live && setError(failure.message),
    );
    return () => void (live = false);
  }, [path]);
  const csv = `${path}${query ? '&' : '?'}format=csv`;
  const empty = report && report.charts.every((c) => c.datasets.every((d) => d.data.every((v) => !v)));
  return (
    <section class="report-card" data-report={name}>
      <header>
        <h2>{t(`report.${name}`)}</h2>
        <a class="csv" href={csv} download>
          {t('reports.csv')}
        </a>
      </header>
      {error && <p class="error">{t('app.error', { message: error })}</p>}
      {!report && !error && <p>{t('reports.loading')}</p>}
      {report && <Figures figures={report.figures} locale={locale} />}
      {empty && <p class="empty">{t('reports.empty')}</p>}
      {report?.charts.map((chart) => (
        <ChartBox key={`${report.from}-${report.to}-${chart.id}`} chart={chart} locale={locale} single={report.charts.length === 1} />
      ))}
    </section>
  );
}

/** "complaint.started" is the complaint flow's "started"; "average" stands alone. */
function Figures({ figures, locale }: { figures: Record<string, number | null>; locale: Locale }) {
  const entries = Object.entries(figures);
  if (entries.length === 0) return null;
  return (
    <dl class="figures">
      {entries.map(([key, value]) => {
        const [subject, figure] = key.includes('.') ? (key.split('.') as [string, string]) : [undefined, key];
        return (
          <div key={key} data-figure={key}>
            <dt>{subject ? `${subject}: ${wordOf('figure.', figure, locale)}` : wordOf('figure.', figure, locale)}</dt>
            <dd>{value === null ? '—' : formatNumber(value, locale)}</dd>
          </div>
        );
      })}
    </dl>
  );
}

function ChartBox({ chart, locale, single }: { chart: Chart; locale: Locale; single: boolean }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const words: ChartWords = {
      word: (key) => wordOf('label.', wordOf('series.', key, locale), locale),
      number: (value) => formatNumber(value, locale),
      day: (day) => dayText(day, locale, { month: 'short', day: 'numeric' }),
      rtl: isRtl(locale),
    };
    const drawn = drawChart(canvas.current as HTMLCanvasElement, chart, words);
    return () => drawn.destroy();
  }, [chart, locale]);
  return (
    <figure class="chart" data-chart-id={chart.id}>
      {!single && <figcaption>{wordOf('chart.', chart.id, locale)}</figcaption>}
      <div class="chart-area">
        <canvas ref={canvas} />
      </div>
    </figure>
  );
}

export const reportsPage: StudioPage = { id: 'reports', path: '/reports', title: 'nav.reports', area: 'reports', nav: true, component: ReportsPage };
