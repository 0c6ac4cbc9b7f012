import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Parley } from '../src/runtime.ts';
import { buildServer } from '../src/server/app.ts';
import { launchChromium } from './support/browser.ts';
import { freshDatabase, type TestDatabase } from './support/databases.ts';
import { testParley } from './support/parley.ts';
import { at, seedReportMonth } from './support/report-fixture.ts';
import { logInOnPage, studioUser } from './support/studio.ts';

const ARTIFACTS = join(import.meta.dirname, 'artifacts');

interface DrawnChart {
  labels: string[];
  datasets: { label: string; data: number[] }[];
}

/** What Chart.js drew on a report card's canvas: its instance's labels and datasets (the studio exposes Chart for this). */
async function chartData(page: Page, report: string, chartId?: string): Promise<DrawnChart | undefined> {
  const selector = `[data-report="${report}"] ${chartId ? `[data-chart-id="${chartId}"]` : '[data-chart-id]'} canvas`;
  return page.evaluate(`(() => {
    const canvas = document.querySelector(${JSON.stringify(selector)});
    const chart = canvas && Chart.getChart(canvas);
    return chart ? { labels: chart.data.labels, datasets: chart.data.datasets.map((d) => ({ label: d.label, data: [...d.data] })) } : undefined;
  })()`);
}

/**
 * Waits until a script expression (run in the page) is true. Polled from here: the studio's
 * CSP forbids eval, which waitForFunction's in-page polling of a string needs.
 */
const POLL = { timeout: 60_000, interval: 250 };
const until = (page: Page, expression: string) => expect.poll(() => page.evaluate(`!!(${expression})`), { timeout: 60_000, interval: 250 }).toBe(true);

// A busy shared machine makes a browser slow: generous limits, no timing asserted.
describe('studio reports in a browser', { timeout: 300_000 }, () => {
  let browser: Browser;
  let db: TestDatabase;
  let parley: Parley;
  let app: FastifyInstance;
  let baseUrl: string;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    db = await freshDatabase('sqlite');
    await seedReportMonth(db);
    await studioUser(db, 'manager@example.com', 'manager');
    parley = await testParley(db, { env: { PARLEY_AGENT_TIMEZONE: 'Asia/Tehran' }, now: () => at('2026-03-31T12:00:00Z') });
    app = await buildServer(parley);
    baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await parley?.stop();
    await db?.dispose();
  }, 120_000);

  /** Logs in on the studio's login page as the manager. */
  const logIn = (page: Page) => logInOnPage(page, baseUrl, 'manager@example.com');

  it('a manager sees the fixture drawn, downloads a CSV, and reads it in Persian: RTL and Jalali days', async () => {
    const context = await browser.newContext({ acceptDownloads: true, locale: 'en-GB', viewport: { width: 1280, height: 1600 } });
    const page = await context.newPage();
    page.setDefaultTimeout(60_000);
    await logIn(page);
    await page.goto(`${baseUrl}/studio#/reports`);
    // The default range arrives with the first charts and fills the picker: type after it, not before.
    await until(page, `document.querySelector('.report-range')?.textContent?.includes('31/03/2026')`);
    await page.fill('input[name="from"]', '2026-03-01');
    await page.fill('input[name="to"]', '2026-03-30');
    await page.click('.range-picker button[type="submit"]');
    await until(page, `document.querySelector('.report-range')?.textContent?.includes('30/03/2026')`);
    await until(page, `document.querySelectorAll('[data-report] canvas').length >= 13`);

    await expect
      .poll(() => chartData(page, 'csat'), POLL)
      .toEqual({ labels: ['1', '2', '3', '4', '5'], datasets: [{ label: 'Count', data: [1, 0, 0, 2, 1] }] });
    await expect
      .poll(() => chartData(page, 'nps'), POLL)
      .toEqual({ labels: ['Promoters', 'Passives', 'Detractors'], datasets: [{ label: 'Count', data: [2, 1, 2] }] });
    // Each chart is fetched on its own after the range changes: wait for the new range's days.
    await expect.poll(async () => (await chartData(page, 'conversations'))?.labels.slice(0, 3), POLL).toEqual(['1 Mar', '2 Mar', '3 Mar']);
    const conversations = await chartData(page, 'conversations');
    expect(conversations?.datasets.map((d) => [d.label, d.data.slice(0, 4)])).toEqual([
      ['email', [0, 1, 0, 0]],
      ['whatsapp', [0, 2, 1, 0]],
    ]);
    await expect
      .poll(() => chartData(page, 'response-times', 'first-response-by-team'), POLL)
      .toEqual({
        labels: ['sales', 'support'],
        datasets: [
          { label: 'Median', data: [6, 4] },
          { label: '90th percentile', data: [6, 10] },
        ],
      });
    expect(await page.textContent('[data-report="csat"] [data-figure="average"] dd')).toBe('3.5');
    await page.screenshot({ path: join(ARTIFACTS, 'studio-reports-en.png'), fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-report="csat"] a.csv')]);
    expect(download.suggestedFilename()).toBe('parley-csat-2026-03-01-2026-03-30.csv');
    const csv = readFileSync((await download.path()) as string, 'utf8')
      .trim()
      .split('\n');
    expect(csv).toEqual([
      'section,group,metric,value',
      'csat,all,count,4',
      'csat,all,average,3.5',
      'csat,score 1,count,1',
      'csat,score 2,count,0',
      'csat,score 3,count,0',
      'csat,score 4,count,2',
      'csat,score 5,count,1',
    ]);

    await page.selectOption('.language select', 'fa');
    await until(page, `document.documentElement.dir === 'rtl'`);
    // 1 March 2026 is 10 Esfand 1404; 2 March (the first conversations) is 11 Esfand.
    expect(await page.inputValue('input[name="from"]')).toBe('۱۴۰۴/۱۲/۱۰');
    expect(await page.inputValue('input[name="to"]')).toBe('۱۴۰۵/۰۱/۱۰');
    await until(page, `document.querySelector('[data-report="csat"] h2')?.textContent === 'رضایت مشتری (CSAT)'`);
    await expect.poll(async () => (await chartData(page, 'conversations'))?.labels.slice(0, 2), POLL).toEqual(['۱۰ اسفند', '۱۱ اسفند']);
    const persian = await chartData(page, 'conversations');
    expect(persian?.datasets[1]?.data.slice(0, 3)).toEqual([0, 2, 1]);
    expect(await page.textContent('[data-report="csat"] [data-figure="average"] dd')).toBe('۳٫۵');
    // A Jalali range typed in Persian digits reads the same days.
    await page.fill('input[name="from"]', '۱۴۰۴/۱۲/۱۱');
    await page.click('.range-picker button[type="submit"]');
    await until(page, `document.querySelector('.report-range')?.textContent?.startsWith('۱۴۰۴/۱۲/۱۱')`);
    await page.screenshot({ path: join(ARTIFACTS, 'studio-reports-fa.png'), fullPage: true });
    await context.close();
  });

  it('finds a customer by phone, opens the 360 view and filters the tickets, in Arabic (RTL)', async () => {
    const context = await browser.newContext({ locale: 'ar', viewport: { width: 1280, height: 1200 } });
    const page = await context.newPage();
    page.setDefaultTimeout(60_000);
    await logIn(page);
    await until(page, `document.documentElement.dir === 'rtl' && !!document.querySelector('.shell nav')`);
    await page.goto(`${baseUrl}/studio#/customers`);
    // The key customer's WhatsApp number, written another way.
    await page.fill('input[name="q"]', '+98 (912) 123-4567');
    await page.click('.search button[type="submit"]');
    await page.click('.results a');
    await page.waitForSelector('.customer-360');
    const view = (await page.textContent('.customer-360')) ?? '';
    expect(view).toContain('+989121234567');
    expect(view).toContain('عميل رئيسي');
    expect(view).toContain('معرض للخطر');
    expect(await page.locator('.customer-360 .conversations > li').count()).toBe(4);
    await page.goto(`${baseUrl}/studio#/tickets`);
    await page.selectOption('select[name="kind"]', 'complaint');
    await page.click('.filters button[type="submit"]');
    await until(page, `document.querySelectorAll('table.tickets tbody tr').length === 3`);
    expect(await page.locator('table.tickets tbody tr td:nth-child(2)').allTextContents()).toEqual(['شكوى', 'شكوى', 'شكوى']);
    await page.screenshot({ path: join(ARTIFACTS, 'studio-tickets-ar.png'), fullPage: true });
    await context.close();
  });
});
