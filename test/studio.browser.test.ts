import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channels } from '../channels/index.ts';
import { FlowRegistry } from '../src/flows/registry.ts';
import { hourOf } from '../src/flows/stats.ts';
import type { Parley } from '../src/runtime.ts';
import { buildServer } from '../src/server/app.ts';
import { launchChromium } from './support/browser.ts';
import { freshDatabase, type TestDatabase } from './support/databases.ts';
import { silentLogger, testParley } from './support/parley.ts';
import { STUDIO_PASSWORD, studioUser } from './support/studio.ts';

const ARTIFACTS = join(import.meta.dirname, '..', 'test-artifacts');
const SHIPPED = join(import.meta.dirname, '..', 'flows');
// A busy shared machine makes a browser slow: generous limits, no timing asserted.
const WAIT = { timeout: 120_000 };

/** A marketer in real headless Chromium (Debian's /usr/bin/chromium) edits the complaint flow. */
describe('the studio in a browser', { timeout: 600_000 }, () => {
  let browser: Browser;
  let db: TestDatabase;
  let parley: Parley;
  let app: FastifyInstance;
  let dir: string;
  let baseUrl: string;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    db = await freshDatabase('sqlite');
    dir = mkdtempSync(join(tmpdir(), 'parley-studio-browser-'));
    for (const name of readdirSync(SHIPPED)) copyFileSync(join(SHIPPED, name), join(dir, name));
    const flows = new FlowRegistry(dir, db, silentLogger);
    await flows.reload();
    parley = await testParley(db, { flows, channels });
    app = await buildServer(parley);
    baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
    await studioUser(db, 'mina@example.com', 'marketer');
    // Fixture statistics: ten entered the first step, eight answered it, one answer did not fit, one gave up.
    const hour = hourOf(new Date());
    const version = flows.get('complaint')?.version as string;
    const counts: [string, string, number][] = [
      ['category', 'entered', 10],
      ['category', 'answered', 8],
      ['category', 'invalid', 1],
      ['category', 'dropped', 1],
      ['describe', 'entered', 8],
    ];
    for (const [stepId, kind, count] of counts)
      await db.prisma.flowStepCount.create({ data: { flowId: 'complaint', hour, flowVersion: version, stepId, kind, count }, select: { flowId: true } });
    browser = await launchChromium();
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await parley?.stop();
    await db?.dispose();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `studio-${name}.png`), fullPage: true });

  it('logs in, edits the Persian text of a step, catches a broken go-to, previews as SMS, saves, diffs and rolls back', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, locale: 'en-US' });
    page.setDefaultTimeout(WAIT.timeout);
    await page.goto(`${baseUrl}/studio`);
    await page.fill('input[name=email]', 'mina@example.com');
    await page.fill('input[name=password]', STUDIO_PASSWORD);
    await shot(page, 'login');
    await page.click('button[type=submit]');

    // The nav opens the flows list; the complaint flow's graph has a node per step.
    await page.waitForSelector('tr[data-flow-id=complaint]');
    await page.click('tr[data-flow-id=complaint] a');
    await page.waitForSelector('svg.graph g[data-step-id=category]');
    expect(await page.locator('svg.graph g.node[data-step-id]').count()).toBe(7);
    expect(await page.locator('svg.graph g.edge').count()).toBeGreaterThanOrEqual(6);
    // The funnel on the graph, from the fixture statistics.
    await page.waitForSelector('g[data-step-id=category] .node-stats');
    expect(await page.textContent('g[data-step-id=category] .node-stats')).toBe('10 entered · 8 answered · 1 invalid · 0 timed out · 1 dropped');
    const bar = async (id: string) => Number(await page.getAttribute(`g[data-step-id=${id}] rect.funnel`, 'width'));
    expect((await bar('describe')) / (await bar('category'))).toBeCloseTo(0.8);

    // Persian: the whole studio mirrors, without a reload.
    await page.selectOption('header select', 'fa');
    expect(await page.getAttribute('html', 'dir')).toBe('rtl');
    expect(await page.textContent('header nav')).toContain('گفت‌وگوها');

    await page.click('g[data-step-id=describe]');
    const persian = page.locator('textarea[name="text-ask.text-fa"]');
    expect(await persian.getAttribute('dir')).toBe('rtl');
    await persian.fill('لطفاً بنویسید چه شد.');
    await shot(page, 'flow-rtl');
    await page.click('button[data-save="ask.text|fa"]');
    await page.waitForSelector('.notice:has-text("۲")');
    await page.waitForSelector('.version-line .status.draft');

    // A broken go-to typed in the YAML: the validation names it, on the step's node.
    await page.click('details.yaml summary');
    const yaml = await page.inputValue('textarea[name=yaml]');
    expect(yaml).toContain('fa: لطفاً بنویسید چه شد.');
    expect(yaml.startsWith('# Complaint intake')).toBe(true);
    await page.fill('textarea[name=yaml]', yaml.replace('  - id: order\n', '  - id: order\n    next: nowhere\n'));
    await page.waitForSelector('.problems-panel[data-valid=false]');
    expect(await page.textContent('.problems-panel')).toContain('goes to "nowhere", which is not a step of this flow');
    await page.waitForSelector('g[data-step-id=order].has-errors');
    await shot(page, 'broken-goto');
    await page.fill('textarea[name=yaml]', yaml);
    await page.waitForSelector('.problems-panel[data-valid=true]');

    // Preview as SMS, in Persian: numbered choices, segments.
    await page.click('button[data-channel=sms]');
    await page.selectOption('select[name=preview-locale]', 'fa');
    await page.waitForSelector('.transcript.sms[lang=fa][aria-busy=false] .bubble.bot');
    expect(await page.locator('.transcript.sms .bubble.bot .text').first().textContent()).toContain('1. ارسال و تحویل');
    expect(await page.locator('.transcript.sms .bubble.bot').first().getAttribute('data-sms-segments')).toBe('2');
    await page.fill('input[name=answer]', '۲');
    await page.click('form.answer button[type=submit]');
    await page.waitForSelector('.transcript.sms[aria-busy=false] .bubble.customer');
    expect(await page.locator('.transcript.sms .bubble.bot .text').nth(1).textContent()).toBe('لطفاً بنویسید چه شد.');
    await shot(page, 'preview-sms');

    // Versions: the saved draft and its diff; then a rollback to the file as it was.
    await page.waitForSelector('tr[data-version="2"]');
    await page.click('tr[data-version="2"] button.diff');
    await page.waitForSelector('.diff-view .add');
    expect(await page.textContent('.diff-view .add')).toContain('+        fa: لطفاً بنویسید چه شد.');
    await shot(page, 'diff');
    await page.click('tr[data-version="1"] button.rollback');
    await page.waitForSelector('tr[data-version="3"]');
    expect(await page.textContent('tr[data-version="3"]')).toContain('rollback to version 1');
    await page.waitForSelector('.version-line:has-text("۳")');
    expect(await page.inputValue('textarea[name=yaml]')).toBe(readFileSync(join(dir, 'complaint.yaml'), 'utf8'));
    await shot(page, 'rolled-back');
    await page.close();
  });
});
