import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { signIdentity } from '../channels/webchat/identity.ts';
import { webchatChannel } from '../channels/webchat/index.ts';
import { type ChannelAdapter, openChannel } from '../src/core/channel.ts';
import { SlackDesk } from '../src/desk/slack/plugin.ts';
import { readSlackConfig, type SlackConfig } from '../src/desk/slack/settings.ts';
import { FlowRegistry } from '../src/flows/registry.ts';
import type { Parley } from '../src/runtime.ts';
import { buildServer } from '../src/server/app.ts';
import { launchChromium } from './support/browser.ts';
import { freshDatabase, type TestDatabase } from './support/databases.ts';
import { eventually } from './support/eventually.ts';
import { FakeSlack, sendEvent } from './support/fake-slack.ts';
import { silentLogger, testParley } from './support/parley.ts';

const SECRET = 'test-signing-secret';
const TOKEN = 'xoxb-test-token';
const SUPPORT = 'CSUPPORT1';
const IDENTITY_SECRET = 'site-identity-secret-0123456789';
const ARTIFACTS = join(import.meta.dirname, '..', 'test-artifacts');

/** A visitor in real headless Chromium (Debian's /usr/bin/chromium) on the demo page. */
// A busy shared machine makes a browser slow: generous limits, no timing asserted.
describe('website chat in a browser', { timeout: 300_000 }, () => {
  let browser: Browser;
  let db: TestDatabase;
  let fake: FakeSlack;
  let parley: Parley | undefined;
  let app: FastifyInstance | undefined;
  let desk: SlackDesk;
  let dataDir: string;
  let port = 0;
  let baseUrl: string;

  beforeAll(async () => {
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
  }, 120_000);

  async function startServer() {
    const env = {
      PARLEY_DATA_DIR: dataDir,
      PARLEY_WEBCHAT_DEMO: 'true',
      WEBCHAT_IDENTITY_SECRET: IDENTITY_SECRET,
      PARLEY_RATE_LIMITS: 'slack:recipient=1/100ms',
    };
    const config = readSlackConfig({
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: fake.apiUrl,
      SLACK_PORT: '0',
      SLACK_TEAM_CHANNELS: JSON.stringify({ support: SUPPORT }),
      SLACK_DEFAULT_CHANNEL: SUPPORT,
    }) as SlackConfig;
    desk = new SlackDesk(config, { host: '127.0.0.1' });
    const flows = new FlowRegistry(join(import.meta.dirname, '..', 'flows'), db, silentLogger);
    parley = await testParley(db, { adapters: [(await openChannel(webchatChannel, env)) as ChannelAdapter], env, flows, plugins: [desk] });
    await flows.reload();
    await parley.start();
    app = await buildServer(parley);
    // The same port after a restart: the page reconnects to where it was.
    baseUrl = await app.listen({ port, host: '127.0.0.1' });
    port = Number(new URL(baseUrl).port);
  }

  async function stopServer() {
    await app?.close();
    await parley?.stop();
    app = undefined;
    parley = undefined;
  }

  beforeEach(async () => {
    db = await freshDatabase('sqlite');
    dataDir = mkdtempSync(join(tmpdir(), 'parley-webchat-browser-'));
    port = 0;
    fake = await new FakeSlack({
      token: TOKEN,
      channels: { [SUPPORT]: ['UBOT', 'UAGENT1'] },
      users: { UAGENT1: { name: 'Sara Ahmadi', email: 'sara@example.com' } },
      appToken: 'xapp-test-token',
    }).start();
    await startServer();
  }, 120_000);
  afterEach(async () => {
    await stopServer();
    await fake.stop();
    await db.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  }, 120_000);

  const newPage = async (options?: Parameters<Browser['newPage']>[0]) => {
    const page = await browser.newPage(options);
    page.setDefaultTimeout(90_000);
    return page;
  };

  const bubbles = (page: Page, kind: 'visitor' | 'bot' | 'agent') => page.locator(`#parley-webchat .msg.${kind}`).allInnerTexts();

  async function openChat(page: Page, path = '/webchat/demo', openLabel = 'Open chat') {
    await page.goto(`${baseUrl}${path}`);
    await page.getByRole('button', { name: openLabel }).click();
    return page.getByRole('textbox', { name: /Your message|پیام شما/ });
  }

  it('runs the welcome flow by tapping buttons, hands off, and shows the agent reply from Slack', async () => {
    const page = await newPage();
    const box = await openChat(page);
    await expect.poll(() => page.getByRole('log', { name: 'Conversation' }).count()).toBe(1);
    await box.fill('Hello');
    await box.press('Enter');
    await page.getByText('What should we call you?').waitFor();
    await box.fill('Sam Lee');
    await box.press('Enter');
    // Four choices come as a list: its button opens the rows.
    await page.getByRole('button', { name: 'Choose' }).click();
    await page.getByRole('button', { name: 'Quality' }).click();
    await page.getByRole('button', { name: 'Talk to a person' }).click();
    await page.getByText('Connecting you with a person').waitFor();

    let card: { ts: string } | undefined;
    await eventually(() => {
      card = fake.topLevel(SUPPORT)[0];
      expect(card).toBeDefined();
    });
    const events = `http://127.0.0.1:${desk.port}/slack/events`;
    const reply = await sendEvent(events, SECRET, {
      type: 'message',
      channel: SUPPORT,
      user: 'UAGENT1',
      text: 'Hi Sam, how can I help?',
      ts: '1800000100.000001',
      thread_ts: card!.ts,
    });
    expect(reply.status).toBe(200);
    await page.getByText('Hi Sam, how can I help?').waitFor();
    expect(await page.locator('#parley-webchat .msg.agent .author').innerText()).toBe('Sara Ahmadi');
    // The tapped buttons arrived as the choices' titles, in order.
    expect(await bubbles(page, 'visitor')).toEqual([
      expect.stringContaining('Hello'),
      expect.stringContaining('Sam Lee'),
      expect.stringContaining('Quality'),
      expect.stringContaining('Talk to a person'),
    ]);
    // Seen in the open widget: the agent's message is marked read in Parley.
    await eventually(async () => expect((await db.prisma.message.findFirstOrThrow({ where: { authorKind: 'agent' } })).deliveryStatus).toBe('read'));
    await page.close();
  });

  it('keeps what was typed while the server restarts and shows everything once after it reconnects', async () => {
    const page = await newPage();
    const box = await openChat(page);
    await box.fill('first message');
    await box.press('Enter');
    await page.getByText('What should we call you?').waitFor();

    await stopServer();
    await box.fill('Reza Karimi');
    await box.press('Enter');
    await page.locator('#parley-webchat [data-client-id]').getByText('Reza Karimi').waitFor();
    await startServer();

    await eventually(async () => expect(await bubbles(page, 'bot')).toContainEqual(expect.stringContaining('Nice to meet you, Reza Karimi!')), 60_000);
    expect((await bubbles(page, 'visitor')).map((t) => t.split('\n')[0])).toEqual(['first message', 'Reza Karimi']);
    expect(await page.locator('#parley-webchat [data-client-id]').count()).toBe(0);
    const stored = await db.prisma.message.findMany({ where: { direction: 'inbound' }, orderBy: { createdAt: 'asc' } });
    expect(stored.map((m) => m.text)).toEqual(['first message', 'Reza Karimi']);

    // A reload shows the same conversation, once.
    await page.reload();
    // Still open after the reload (kept for the tab), the transcript from the page's storage and the server.
    await page.getByRole('log', { name: 'Conversation' }).waitFor();
    await eventually(async () => expect((await bubbles(page, 'visitor')).length).toBe(2));
    expect((await bubbles(page, 'bot')).length).toBe(await db.prisma.message.count({ where: { direction: 'outbound' } }));
    await page.close();
  });

  it('beeps for new replies once the visitor opts in, notifies while the page is hidden, and remembers the choice', async () => {
    const page = await newPage();
    // Records the widget's beeps and notifications; the test decides when the page is hidden.
    await page.addInitScript(() => {
      // Runs in the page (the test project has no DOM types): what it touches, typed here.
      interface PageGlobals {
        beeps: number;
        notes: { title: string; body?: string }[];
        hidden: boolean;
        AudioContext: { prototype: { createOscillator(): unknown } };
        document: object;
        Notification: unknown;
      }
      const w = globalThis as unknown as PageGlobals;
      w.beeps = 0;
      w.notes = [];
      w.hidden = false;
      const create = w.AudioContext.prototype.createOscillator;
      w.AudioContext.prototype.createOscillator = function (this: unknown) {
        w.beeps += 1;
        return create.call(this);
      };
      Object.defineProperty(w.document, 'visibilityState', { get: () => (w.hidden ? 'hidden' : 'visible') });
      w.Notification = class RecordedNotification {
        static permission = 'granted';
        static requestPermission = async () => 'granted';
        constructor(title: string, options?: { body?: string }) {
          w.notes.push({ title, body: options?.body });
        }
      };
    });
    const box = await openChat(page);
    const toggle = page.getByRole('button', { name: 'Sound and notifications for new replies' });
    expect(await toggle.getAttribute('aria-pressed')).toBe('false');
    await toggle.click();
    expect(await toggle.getAttribute('aria-pressed')).toBe('true');

    await box.fill('first message');
    await box.press('Enter');
    await page.getByText('What should we call you?').waitFor();
    await eventually(async () => expect(await page.evaluate(() => (globalThis as unknown as { beeps: number }).beeps)).toBeGreaterThan(0));
    // Visible page: a beep only.
    expect(await page.evaluate(() => (globalThis as unknown as { notes: unknown[] }).notes)).toEqual([]);

    await page.evaluate(() => ((globalThis as unknown as { hidden: boolean }).hidden = true));
    await box.fill('Reza Karimi');
    await box.press('Enter');
    await eventually(async () =>
      expect(await page.evaluate(() => (globalThis as unknown as { notes: { body?: string }[] }).notes)).toContainEqual(
        expect.objectContaining({ body: expect.stringContaining('Nice to meet you, Reza Karimi!') }),
      ),
    );

    // Remembered across reloads, on and off.
    await page.reload();
    const again = page.getByRole('button', { name: 'Sound and notifications for new replies' });
    expect(await again.getAttribute('aria-pressed')).toBe('true');
    await again.click();
    expect(await again.getAttribute('aria-pressed')).toBe('false');
    await page.reload();
    expect(await page.getByRole('button', { name: 'Sound and notifications for new replies' }).getAttribute('aria-pressed')).toBe('false');
    await page.close();
  });

  it('mirrors to right-to-left for a Persian conversation without a reload, with Persian digits', async () => {
    const page = await newPage({ viewport: { width: 900, height: 700 } });
    const box = await openChat(page);
    const root = page.locator('#parley-webchat .root');
    expect(await root.getAttribute('dir')).toBe('ltr');
    await box.fill('سلام، وقت بخیر');
    await box.press('Enter');
    await page.getByText('چطور شما را صدا کنیم؟').waitFor();
    await eventually(async () => expect(await root.getAttribute('dir')).toBe('rtl'));
    expect(await root.getAttribute('lang')).toBe('fa');
    // The widget's own texts follow: the message box is now named in Persian.
    await page.getByRole('textbox', { name: 'پیام شما' }).waitFor();
    expect(await page.locator('#parley-webchat .msg.bot .meta').first().innerText()).toMatch(/^[۰-۹]{2}:[۰-۹]{2}$/);
    // Mirrored: the visitor's bubble sits on the left, the bot's on the right.
    const visitorBox = await page.locator('#parley-webchat .msg.visitor').first().boundingBox();
    const botBox = await page.locator('#parley-webchat .msg.bot').first().boundingBox();
    expect(visitorBox!.x).toBeLessThan(botBox!.x);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'webchat-rtl-fa.png') });
    await page.close();
  });

  it('attaches a logged-in user signed by the site to their email address', async () => {
    const page = await newPage();
    await page.goto(`${baseUrl}/webchat/demo`);
    const user = { userId: 'u-42', email: 'Sara.Ahmadi@Example.com', name: 'Sara Ahmadi' };
    await page.evaluate((identity) => (globalThis as unknown as { Parley: { init(options: object): void } }).Parley.init({ identity }), {
      ...user,
      hmac: signIdentity(IDENTITY_SECRET, user),
    });
    await page.getByRole('button', { name: 'Open chat' }).click();
    const box = page.getByRole('textbox', { name: 'Your message' });
    await box.fill('Where is my order?');
    await box.press('Enter');
    await page.getByText('Welcome back').or(page.getByText('Hello and welcome')).first().waitFor();
    const identity = await db.prisma.channelIdentity.findFirstOrThrow({ where: { channel: 'webchat' }, include: { customer: true } });
    expect(identity.address).toBe('sara.ahmadi@example.com');
    expect(identity.customer.name).toBe('Sara Ahmadi');
    await page.close();
  });
});
