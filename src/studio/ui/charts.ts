import { ArcElement, BarController, BarElement, CategoryScale, Chart, DoughnutController, Legend, LinearScale, Tooltip } from 'chart.js';
import type { Chart as ChartData } from '../report-shapes.ts';

// Only what the report charts use: esbuild leaves the rest of Chart.js out.
Chart.register(BarController, BarElement, CategoryScale, LinearScale, DoughnutController, ArcElement, Legend, Tooltip);
// A drawn chart can be read back from the console (and by the browser test): Chart.getChart(canvas).
(globalThis as { Chart?: typeof Chart }).Chart = Chart;

const COLORS = ['#2563eb', '#f59e0b', '#10b981', '#ef4444', '#8b5cf6', '#0ea5e9', '#84cc16', '#f97316'];

export interface ChartWords {
  /** A label or series key shown in the reader's language (data such as team names stay as they are). */
  readonly word: (key: string) => string;
  /** A number in the reader's digits. */
  readonly number: (value: number) => string;
  /** A "YYYY-MM-DD" day in the reader's calendar. */
  readonly day: (isoDay: string) => string;
  readonly rtl: boolean;
}

const isDay = (label: string) => /^\d{4}-\d{2}-\d{2}$/.test(label);

/** Draws one report chart on the canvas; the caller destroys it when the data or language changes. */
export function drawChart(canvas: HTMLCanvasElement, data: ChartData, words: ChartWords): Chart {
  const labels = data.labels.map((l) => (isDay(l) ? words.day(l) : words.word(l)));
  const doughnut = data.type === 'doughnut';
  return new Chart(canvas, {
    type: data.type,
    data: {
      labels,
      datasets: data.datasets.map((d, i) => ({
        label: words.word(d.key),
        data: d.data,
        backgroundColor: doughnut ? COLORS.slice(0, d.data.length) : COLORS[i % COLORS.length],
      })),
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      locale: document.documentElement.lang || 'en',
      plugins: { legend: { rtl: words.rtl, display: doughnut || data.datasets.length > 1 }, tooltip: { rtl: words.rtl } },
      scales: doughnut
        ? {}
        : {
            x: { reverse: words.rtl, stacked: data.id === 'per-channel-per-day' },
            y: {
              beginAtZero: true,
              stacked: data.id === 'per-channel-per-day',
              position: words.rtl ? 'right' : 'left',
              ticks: { precision: data.unit === 'count' ? 0 : undefined, callback: (v) => words.number(Number(v)) },
            },
          },
    },
  });
}
