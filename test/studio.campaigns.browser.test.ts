import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Parley } from '../src/runtime.ts';
import { buildServer } from '../src/server/app.ts';
import { launchChromium } from './support/browser.ts';
import { freshDatabase, type TestDatabase } from './support/databases.ts';
import { FakeAdapter, settle, testParley } from './support/parley.ts';
import { logInOnPage, studioUser } from './support/studio.ts';

const ARTIFACTS = join(import.meta.dirname, 'artifacts');

/** Polled from here: the studio's CSP forbids the eval that waitForFunction's string polling needs. */
const until = (page: Page, expression: string) => expect.poll(() => page.evaluate(`!!(${expression})`), { timeout: 60_000, interval: 250 }).toBe(true);

/** The results table's cell of a figure ("targeted", "skipped:opted_out") for a variant ("all", "A"). */
const cell = (page: Page, metric: string, variant = 'all') =>
  page.textContent(`table.campaign-results tr[data-metric="${metric}"] td[data-variant="${variant}"]`);

const CAMPAIGN = `name: پیشنهاد-نوروز
segment: واتساپی‌ها
text:
  en: 'Happy Nowruz: 20% off this week'
  fa: 'نوروز مبارک: ۲۰٪ تخفیف این هفته'
  ar: 'نوروز سعيد: خصم ٢٠٪ هذا الأسبوع'
goal: { type: replied, within: 3d }
`;

// A busy shared machine makes a browser slow: generous limits, no timing asserted.
describe('studio campaigns in a browser', { timeout: 300_000 }, () => {
  let browser: Browser;
  let db: TestDatabase;
  let parley: Parley;
  let app: FastifyInstance;
  let adapter: FakeAdapter;
  let baseUrl: string;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    db = await freshDatabase('sqlite');
    await studioUser(db, 'marketer@example.com', 'marketer');
    adapter = new FakeAdapter();
    parley = await testParley(db, { adapters: [adapter], env: { PARLEY_CAMPAIGN_QUIET_HOURS: '00:00-00:00' } });
    await parley.startChannels();
    for (const [i, [name, text]] of [
      ['مریم', 'سلام'],
      ['رضا', 'سلام، وقت بخیر'],
      ['Sara', 'hello'],
    ].entries()) {
      await parley.inbox.accept({
        channel: 'whatsapp',
        externalId: `w${i}`,
        sender: { address: `+98912123456${i}`, addressKind: 'phone', displayName: name },
        text: text as string,
        raw: {},
      });
    }
    await settle(parley);
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

  it('a marketer in Persian adds a segment, previews it, adds a campaign from YAML, starts it and reads its results', async () => {
    const context = await browser.newContext({ acceptDownloads: true, locale: 'fa-IR', viewport: { width: 1280, height: 1400 } });
    const page = await context.newPage();
    page.setDefaultTimeout(60_000);
    await logInOnPage(page, baseUrl, 'marketer@example.com');
    await until(page, `document.documentElement.dir === 'rtl'`);
    expect(await page.locator('.shell nav a').allTextContents()).toEqual(expect.arrayContaining(['کمپین‌ها', 'بخش‌های مشتریان']));

    await page.goto(`${baseUrl}/studio#/segments`);
    await page.waitForSelector('form.new-segment');
    await page.fill('input[name="segment-name"]', 'واتساپی‌ها');
    // A mistake first: the problem points at its line, in Persian digits.
    await page.fill('textarea[name="segment-filter"]', 'channels: [whatsapp]\nchurn: { min: high }\n');
    await page.click('button[name="save-segment"]');
    await page.waitForSelector('[data-problems="segment-filter"] li[data-path="filter.churn.min"]');
    expect(await page.textContent('[data-problems="segment-filter"] li button')).toBe('سطر ۲');
    expect(await page.locator('.yaml-editor .gutter .marked').allTextContents()).toEqual(['2']);
    await page.fill('textarea[name="segment-filter"]', 'channels: [whatsapp]\n');
    await page.click('button[name="preview-filter"]');
    await until(page, `document.querySelector('.segment-preview .count')?.dataset.count === '3'`);
    await page.click('button[name="save-segment"]');
    await page.waitForSelector('tr[data-segment="واتساپی‌ها"]');
    expect(await page.textContent('.new-segment .notice')).toBe('بخش «واتساپی‌ها» ذخیره شد.');
    await page.click('tr[data-segment="واتساپی‌ها"] button[name="preview"]');
    await until(page, `document.querySelector('.segment-preview h2')?.textContent === 'پیش‌نمایش «واتساپی‌ها»'`);
    expect(await page.textContent('.segment-preview .count')).toBe('اکنون ۳ مشتری');
    expect(await page.locator('.segment-preview table.sample tbody tr').count()).toBe(3);
    expect(await page.locator('.segment-preview table.sample tbody td:first-child').allTextContents()).toEqual(expect.arrayContaining(['مریم', 'رضا', 'Sara']));
    await page.screenshot({ path: join(ARTIFACTS, 'studio-segments-fa.png'), fullPage: true });

    await page.goto(`${baseUrl}/studio#/campaigns`);
    await page.waitForSelector('form.new-campaign');
    expect(await page.textContent('.campaigns-page .empty')).toBe('هنوز کمپینی نیست.');
    await page.fill('textarea[name="campaign-yaml"]', CAMPAIGN.replace('within: 3d', 'within: soon'));
    await page.click('button[name="save-campaign"]');
    await page.waitForSelector('[data-problems="campaign-yaml"] li[data-path="goal.within"]');
    expect(await page.textContent('[data-problems="campaign-yaml"] li button')).toBe('سطر ۷');
    await page.fill('textarea[name="campaign-yaml"]', CAMPAIGN);
    await page.click('button[name="save-campaign"]');
    await page.waitForSelector('.campaign-page[data-status="draft"]');
    expect(await page.textContent('.campaign-page h1 bdi')).toBe('پیشنهاد-نوروز');
    expect(await page.textContent('[data-fact="segment"] dd')).toBe('واتساپی‌ها');
    expect(await page.textContent('[data-fact="goal"] dd')).toBe('پاسخ داد در ۳ روز');

    await page.click('button[name="start"]');
    await page.waitForSelector('.campaign-page[data-status="running"]');
    await settle(parley);
    expect(adapter.sent.filter((m) => m.content.text === 'نوروز مبارک: ۲۰٪ تخفیف این هفته')).toHaveLength(2);
    await page.click('button[name="refresh"]');
    await page.waitForSelector('.campaign-page[data-status="completed"]');
    await until(page, `document.querySelector('table.campaign-results tr[data-metric="sent"] td[data-variant="all"]')?.textContent === '۳'`);
    expect(await page.locator('table.campaign-results thead th').allTextContents()).toEqual(['شاخص', 'همه', 'A']);
    expect(await page.textContent('table.campaign-results tr[data-metric="targeted"] th')).toBe('هدف‌گیری‌شده');
    for (const [metric, count] of [
      ['targeted', '۳'],
      ['waiting', '۰'],
      ['skipped', '۰'],
      ['queued', '۳'],
      ['sent', '۳'],
      ['goalReached', '۰'],
    ] as const) {
      expect(await cell(page, metric), metric).toBe(count);
      expect(await cell(page, metric, 'A'), metric).toBe(count);
    }
    await page.screenshot({ path: join(ARTIFACTS, 'studio-campaign-fa.png'), fullPage: true });
    // The same table in Arabic (Arabic-Indic digits) and in English, without a reload.
    await page.selectOption('.language select', 'ar');
    await until(page, `document.querySelector('table.campaign-results tr[data-metric="targeted"] th')?.textContent === 'المستهدفون'`);
    expect(await cell(page, 'sent')).toBe('٣');
    await page.screenshot({ path: join(ARTIFACTS, 'studio-campaign-ar.png'), fullPage: true });
    await page.selectOption('.language select', 'en');
    await until(page, `document.documentElement.dir === 'ltr'`);
    expect(await cell(page, 'sent')).toBe('3');
    expect(await page.textContent('[data-fact="goal"] dd')).toBe('replied within 3 days');
    await page.selectOption('.language select', 'fa');
    await until(page, `document.documentElement.dir === 'rtl'`);

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('.results-header a.csv')]);
    expect(download.suggestedFilename()).toBe('parley-پیشنهاد-نوروز-results.csv');
    const csv = readFileSync((await download.path()) as string, 'utf8');
    expect(csv).toContain('all,sent,,3');

    await page.goto(`${baseUrl}/studio#/campaigns`);
    await page.waitForSelector('tr[data-campaign="پیشنهاد-نوروز"]');
    expect(await page.textContent('tr[data-campaign="پیشنهاد-نوروز"] .campaign-status')).toBe('پایان‌یافته');
    await page.screenshot({ path: join(ARTIFACTS, 'studio-campaigns-fa.png'), fullPage: true });
    await context.close();
  });
});
