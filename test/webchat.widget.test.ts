import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildWidget } from '../channels/webchat/bundle.ts';
import { OfficeHours } from '../channels/webchat/hours.ts';
import { anonymousVisitor, VisitorTokens } from '../channels/webchat/identity.ts';
import { webchatChannel } from '../channels/webchat/index.ts';
import { WindowLimiter } from '../channels/webchat/limits.ts';
import type { Entry } from '../channels/webchat/protocol.ts';
import { fileTypeAllowed, readWebchatSettings } from '../channels/webchat/settings.ts';
import { clock, localDigits, widgetLocale } from '../channels/webchat/widget/texts.ts';
import { type ChannelAdapter, openChannel } from '../src/core/channel.ts';
import { enqueueOutbound } from '../src/pipeline/outbound.ts';
import type { Parley } from '../src/runtime.ts';
import { buildServer } from '../src/server/app.ts';
import { freshDatabase, type TestDatabase } from './support/databases.ts';
import { eventually } from './support/eventually.ts';
import { settle, testParley } from './support/parley.ts';
import { WebchatClient } from './support/webchat-client.ts';

describe('website chat widget bundle', () => {
  it('is at most 30 KB gzipped', { timeout: 120_000 }, async () => {
    const bundle = await buildWidget();
    expect(gunzipSync(bundle.gzip).toString()).toBe(bundle.code);
    expect(bundle.gzip.length).toBeLessThanOrEqual(30 * 1024);
    // parley doctor reports the same build and the missing allow-list.
    const adapter = (await openChannel(webchatChannel, {})) as ChannelAdapter;
    expect(await adapter.verify?.()).toMatch(/^no credentials needed; widget builds \(\d+ KB gzipped\); WEBCHAT_ALLOWED_ORIGINS is unset/);
  });
});

describe('website chat parts', () => {
  it('reads settings and names every wrong variable', async () => {
    expect(readWebchatSettings({})).toMatchObject({
      allowedOrigins: [],
      enforceIdentity: false,
      maxText: 4000,
      demo: false,
      messageRate: { count: 30, perMs: 60_000 },
    });
    expect(readWebchatSettings({ NODE_ENV: 'development' }).demo).toBe(true);
    expect(readWebchatSettings({ NODE_ENV: 'development', PARLEY_WEBCHAT_DEMO: 'false' }).demo).toBe(false);
    expect(readWebchatSettings({ WEBCHAT_ALLOWED_ORIGINS: 'https://shop.example.com/path, http://localhost:8080' }).allowedOrigins).toEqual([
      'https://shop.example.com',
      'http://localhost:8080',
    ]);
    expect(() => readWebchatSettings({ WEBCHAT_MESSAGE_RATE: 'lots', WEBCHAT_MAX_TEXT: '-1', WEBCHAT_ALLOWED_ORIGINS: 'shop' })).toThrow(
      /WEBCHAT_ALLOWED_ORIGINS.*WEBCHAT_MESSAGE_RATE.*is not a rate.*WEBCHAT_MAX_TEXT/,
    );
    expect(() => readWebchatSettings({ WEBCHAT_IDENTITY_ENFORCE: 'true' })).toThrow('WEBCHAT_IDENTITY_ENFORCE=true needs WEBCHAT_IDENTITY_SECRET');
    expect(await openChannel(webchatChannel, { WEBCHAT_ENABLED: 'false' })).toEqual({ off: expect.stringContaining('WEBCHAT_ENABLED=false') });
    await expect(openChannel(webchatChannel, { WEBCHAT_SECRET: 'short' })).rejects.toThrow('WEBCHAT_SECRET=(hidden): at least 16 characters');
    expect(fileTypeAllowed(['image/*', 'application/pdf'], 'image/PNG')).toBe(true);
    expect(fileTypeAllowed(['image/*', 'application/pdf'], 'text/html')).toBe(false);
  });

  it('accepts only tokens it signed, unchanged', () => {
    const tokens = new VisitorTokens('a-secret-of-some-length');
    const visitor = anonymousVisitor('abcdefghijklmnopqrstuvwx', 'علی');
    const token = tokens.issue(visitor);
    expect(tokens.read(token)).toEqual(visitor);
    const [body, signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...visitor, address: 'someone@example.com', addressKind: 'email' })).toString('base64url');
    expect(tokens.read(`${forged}.${signature}`)).toBeUndefined();
    expect(tokens.read(`${body}.${signature}x`)).toBeUndefined();
    expect(new VisitorTokens('another-secret-entirely').read(token)).toBeUndefined();
  });

  it('counts events per key in fixed windows', () => {
    let now = 0;
    const limiter = new WindowLimiter({ count: 2, perMs: 1000 }, () => now);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('b')]).toEqual([0, 0, 0]);
    now = 400;
    expect(limiter.take('a')).toBe(600);
    now = 1000;
    expect(limiter.take('a')).toBe(0);
  });

  it('writes numbers in Persian and Arabic-Indic digits and picks the widget language', () => {
    expect(localDigits(1405, 'fa')).toBe('۱۴۰۵');
    expect(localDigits('12:30', 'ar')).toBe('١٢:٣٠');
    expect(localDigits(7, 'en')).toBe('7');
    expect(clock('2026-03-20T08:05:00', 'fa')).toBe('۰۸:۰۵');
    expect([widgetLocale('fa-IR'), widgetLocale('ar_AE'), widgetLocale('de'), widgetLocale(undefined)]).toEqual(['fa', 'ar', undefined, undefined]);
  });

  it('shows the out-of-hours notice of the team from the routing file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-webchat-hours-'));
    try {
      const file = join(dir, 'routing.yaml');
      writeFileSync(file, 'teams:\n  support:\n    hours:\n      time_zone: Asia/Tehran\n      weekly:\n        sat: "09:00-17:00"\n');
      const hours = new OfficeHours(file, 'support');
      // Saturday 10:00 in Tehran (06:30 UTC): open.
      expect(hours.notice(new Date('2026-03-21T06:30:00Z'))).toBeUndefined();
      const notice = hours.notice(new Date('2026-03-22T06:30:00Z'));
      expect(notice?.en).toContain('Our team is away right now');
      expect(notice?.fa).toMatch(/[۰-۹]/);
      expect(new OfficeHours(undefined, 'support').notice(new Date())).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('website chat over HTTP: script, demo page, files', () => {
  let db: TestDatabase;
  let parley: Parley;
  let app: FastifyInstance;
  let baseUrl: string;
  let dataDir: string;

  async function start(env: Record<string, string>) {
    const full = { PARLEY_DATA_DIR: dataDir, WEBCHAT_MAX_FILE_BYTES: '1000', WEBCHAT_FILE_TYPES: 'image/*', ...env };
    parley = await testParley(db, { adapters: [(await openChannel(webchatChannel, full)) as ChannelAdapter], env: full });
    await parley.start();
    app = await buildServer(parley);
    baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  }

  beforeEach(async () => {
    db = await freshDatabase('sqlite');
    dataDir = mkdtempSync(join(tmpdir(), 'parley-webchat-http-'));
  });
  afterEach(async () => {
    await app?.close();
    await parley?.stop();
    await db.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the script compressed and cacheable; the demo page only when turned on', { timeout: 120_000 }, async () => {
    await start({});
    const script = await fetch(`${baseUrl}/webchat/widget.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toContain('text/javascript');
    expect(script.headers.get('content-encoding')).toBe('gzip');
    expect((await script.text()).length).toBeGreaterThan(1000);
    const again = await fetch(`${baseUrl}/webchat/widget.js`, { headers: { 'if-none-match': script.headers.get('etag') as string } });
    expect(again.status).toBe(304);
    const demo = await fetch(`${baseUrl}/webchat/demo`);
    expect(demo.status).toBe(404);
    expect(await demo.text()).toContain('PARLEY_WEBCHAT_DEMO=true');
  });

  it('takes uploads within the size and type limits, and shows an agent attachment through a signed link only', async () => {
    await start({ PARLEY_WEBCHAT_DEMO: 'true' });
    expect(await (await fetch(`${baseUrl}/webchat/demo?lang=fa`)).text()).toContain('dir="rtl"');
    const client = new WebchatClient(baseUrl);
    const token = (await client.session()).json.token as string;
    const upload = (type: string, bytes: number) =>
      fetch(`${baseUrl}/webchat/files`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': type, 'x-file-name': encodeURIComponent('رسید خرید.png') },
        body: Buffer.alloc(bytes, 1),
      });
    const wrongType = await upload('text/html', 10);
    expect([wrongType.status, ((await wrongType.json()) as { error: { message: string } }).error.message]).toEqual([
      415,
      expect.stringContaining('"text/html" are not accepted'),
    ]);
    const tooBig = await upload('image/png', 1001);
    expect(tooBig.status).toBe(413);
    await tooBig.arrayBuffer();
    const ok = await upload('image/png', 10);
    expect(ok.status).toBe(200);
    const file = (await ok.json()) as { ref: string; name: string; mimeType: string; size: number };
    expect(file.name).toBe('رسید خرید.png');
    const served = await fetch(`${baseUrl}${file.ref}`);
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer()).length).toBe(10);
    for (const forged of [
      file.ref.replace(/files\/[^?]+/, 'files/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'),
      file.ref.replace(/p=[^&]+/, `p=${encodeURIComponent('../parley.db')}`),
    ]) {
      const refused = await fetch(`${baseUrl}${forged}`);
      expect(refused.status).toBe(404);
      await refused.arrayBuffer();
    }

    const sent = await client.http('/webchat/messages', token, { method: 'POST', body: { type: 'message', clientId: 'file-0001', file } });
    expect(sent.json.frames).toEqual([{ type: 'ack', clientId: 'file-0001', seq: 1 }]);
    let uploadedUrl = '';
    await eventually(async () => {
      const message = await db.prisma.message.findFirstOrThrow({ where: { direction: 'inbound' } });
      expect(message.attachments).toMatchObject([{ kind: 'image', mimeType: 'image/png', fileName: 'رسید خرید.png', size: 10 }]);
      uploadedUrl = (message.attachments as { url: string }[])[0]?.url as string;
    });
    expect(uploadedUrl).toMatch(/^file:/);

    // An agent's reply with a file Parley stored reaches the page as a signed link, its buttons kept.
    const identity = await db.prisma.channelIdentity.findFirstOrThrow({ where: { channel: 'webchat' }, include: { conversations: true } });
    await db.write((tx) =>
      enqueueOutbound(tx, db.dialect, {
        conversationId: identity.conversations[0]?.id as string,
        channel: 'webchat',
        recipient: identity.address,
        authorKind: 'agent',
        authorName: 'Sara',
        content: {
          text: 'Here it is back',
          attachments: [{ kind: 'image', url: uploadedUrl, fileName: 'copy.png' }],
          buttons: [{ id: 'thanks', title: 'Thanks' }],
        },
      }),
    );
    await settle(parley);
    let reply: Entry | undefined;
    await eventually(async () => {
      const { json } = await client.http('/webchat/poll?after=1', token);
      reply = (json.entries as Entry[]).find((e) => e.text === 'Here it is back');
      expect(reply).toBeDefined();
    });
    expect(reply).toMatchObject({ from: 'agent', authorName: 'Sara', buttons: [{ id: 'thanks', title: 'Thanks' }] });
    const link = reply?.attachments?.[0]?.url as string;
    expect(link).toMatch(/^\/webchat\/files\//);
    const linked = await fetch(`${baseUrl}${link}`);
    expect(linked.status).toBe(200);
    await linked.arrayBuffer();
  });
});
