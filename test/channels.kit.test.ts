import { readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { format, resolveConfig } from 'prettier';
import { describe, expect, it } from 'vitest';
import { channels } from '../channels/index.ts';
import { smsChannel } from '../channels/sms/index.ts';
import { whatsappChannel } from '../channels/whatsapp/index.ts';
import { configRows, configTable, withConfigTable } from '../src/cli/config-table.ts';
import { channelStatus, openChannel } from '../src/core/channel.ts';
import { readSettings, settingDocs } from '../src/core/settings.ts';
import { plugins } from '../src/plugins.ts';

const SDKS = ['twilio', 'imapflow', 'nodemailer', 'mailparser', 'whatsapp-web.js', 'puppeteer', 'qrcode'];

describe('channel kit', () => {
  it('keeps the README configuration table equal to the one generated from every settings schema', async () => {
    const path = new URL('../README.md', import.meta.url).pathname;
    const readme = readFileSync(path, 'utf8');
    const generated = await format(withConfigTable(readme, configTable(configRows(channels, plugins))), {
      ...(await resolveConfig(path)),
      parser: 'markdown',
    });
    // When this fails: node bin/run-ts.js scripts/readme-config.ts
    expect(readme).toBe(generated);
  });

  it('documents every channel variable once, with an example, and only under its own prefix', () => {
    const rows = configRows(channels, plugins);
    const names = rows.map((r) => r.env);
    expect(new Set(names).size).toBe(names.length);
    for (const row of rows) expect(row.example, row.env).not.toBe('');
    for (const definition of channels) {
      for (const doc of settingDocs(definition.settings)) expect(doc.env).toMatch(/^(WHATSAPP|TWILIO|SMS|EMAIL|WEBCHAT|PARLEY_WEBCHAT)_/);
    }
  });

  it('loads no provider SDK when the channel list is imported (load() brings it)', async () => {
    const result = await build({
      entryPoints: ['channels/index.ts'],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      logLevel: 'silent',
    });
    const inputs = result.metafile.inputs;
    // Follow static imports only, from the entry point.
    const seen = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const imported of inputs[file]?.imports ?? []) {
        if (imported.kind !== 'import-statement') continue;
        if (imported.external) packages.add(imported.path);
        else visit(imported.path);
      }
    };
    visit('channels/index.ts');
    expect([...packages].filter((p) => SDKS.some((sdk) => p === sdk || p.startsWith(`${sdk}/`)))).toEqual([]);
    // ...while the channels' own modules are reached through load(): the check above is not vacuous.
    const dynamic = Object.values(inputs).flatMap((i) => i.imports.filter((x) => x.kind === 'dynamic-import').map((x) => x.path));
    expect(dynamic).toEqual(expect.arrayContaining(['channels/sms/create.ts', 'channels/email/create.ts', 'channels/whatsapp-web/create.ts']));
    expect(Object.keys(inputs).filter((f) => f.startsWith('channels/') && seen.has(f) && /\/(adapter|create)\.ts$/.test(f))).toEqual([]);
  });

  it('reads typed values with their defaults, and names each bad variable and what is wrong with it', () => {
    const settings = readSettings(smsChannel.settings, { TWILIO_FROM: '+15005550006', SMS_MAX_SEGMENTS: '', TWILIO_ANSWERS_KEYWORDS: 'false' });
    expect(settings).toMatchObject({
      SMS_MAX_SEGMENTS: 3,
      SMS_SEGMENT_LIMIT_MODE: 'split',
      TWILIO_ANSWERS_KEYWORDS: false,
      TWILIO_API_URL: 'https://api.twilio.com',
    });
    expect(settings.TWILIO_AUTH_TOKEN).toBeUndefined();
    expect(() => readSettings(smsChannel.settings, { SMS_MAX_SEGMENTS: 'three', SMS_SEGMENT_LIMIT_MODE: 'cut', TWILIO_AUTH_TOKEN: 'x' })).toThrow(
      'SMS_MAX_SEGMENTS="three": must be a whole number; SMS_SEGMENT_LIMIT_MODE="cut": must be split or truncate',
    );
    const status = channelStatus(whatsappChannel, { WHATSAPP_APP_SECRET: 'hunter2', WHATSAPP_GRAPH_URL: 'not a url' });
    expect(status).toEqual({ state: 'misconfigured', detail: expect.stringMatching(/^WHATSAPP_GRAPH_URL="not a url": /) });
    expect(channelStatus(whatsappChannel, {})).toEqual({ state: 'off', detail: expect.stringContaining('WHATSAPP_ACCESS_TOKEN') });
  });

  it('opens a configured channel through load(), and refuses bad settings by name', async () => {
    const env = { TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`, TWILIO_AUTH_TOKEN: 'secret', TWILIO_FROM: '+15005550006' };
    const adapter = await openChannel(smsChannel, env);
    expect('off' in adapter ? adapter.off : adapter.name).toBe('sms');
    await expect(openChannel(smsChannel, { ...env, TWILIO_ACCOUNT_SID: 'AC1' })).rejects.toThrow(/^TWILIO_ACCOUNT_SID="AC1": must be AC followed by 32/);
    await expect(openChannel(smsChannel, { ...env, TWILIO_AUTH_TOKEN: '', SMS_PUBLIC_URL: 'x' })).rejects.toThrow(/^SMS_PUBLIC_URL="x": /);
  });
});
