import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channels } from '../channels/index.ts';
import { startSummary } from '../src/cli/start-summary.ts';
import { loadConfig } from '../src/config.ts';
import { plugins } from '../src/plugins.ts';
import { Parley } from '../src/runtime.ts';
import { freshDatabase, type TestDatabase } from './support/databases.ts';
import { silentLogger } from './support/parley.ts';

/** The summary `parley start` prints, for a Parley opened with the real channels and plugins on `env`. */
async function summaryFor(db: TestDatabase, env: Record<string, string>): Promise<string> {
  const config = loadConfig(env);
  const parley = await Parley.open({ config, logger: silentLogger, channels, plugins, database: db, env });
  try {
    return startSummary({
      version: '1.2.3',
      database: db.displayUrl,
      url: 'http://127.0.0.1:3000',
      config,
      channels: parley.channelStates(),
      desks: parley.pluginStates(),
      flows: parley.flows.all().length,
      unattended: await parley.unattended.count(),
    });
  } finally {
    await parley.stop();
  }
}

describe('the start summary', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase('sqlite');
  }, 60_000);
  afterAll(async () => db?.dispose());

  it('says in a few lines what runs, what is off and how to turn it on, and that hand-offs go nowhere without a desk', async () => {
    const text = await summaryFor(db, { PARLEY_FLOWS_DIR: 'flows' });
    const lines = text.split('\n');
    expect(lines.length).toBeLessThan(20);
    expect(lines[0]).toBe('Parley is running');
    expect(text).toMatch(/^ {2}version +1\.2\.3$/m);
    expect(text).toMatch(/^ {2}HTTP +http:\/\/127\.0\.0\.1:3000 \(API off — set PARLEY_API_TOKEN to turn it on\)$/m);
    expect(text).toMatch(/^ {2}flows +9 loaded from flows$/m);
    expect(text).toMatch(/^ {2}local numbers +read as IR, then AE numbers \(PARLEY_DEFAULT_REGION\)$/m);
    expect(text).toMatch(/^ {2}channel whatsapp +off — set WHATSAPP_ACCESS_TOKEN/m);
    expect(text).toMatch(/^ {2}channel sms +off — set TWILIO_ACCOUNT_SID/m);
    expect(text).toMatch(/^ {2}AI assist +off — set OPENAI_API_KEY to turn it on/m);
    expect(text).toMatch(/^ {2}routing +off — /m);
    expect(text).toMatch(/^ {2}alerts +off — set PARLEY_ALERTS_CONFIG$/m);
    expect(text).toMatch(/^ {2}desk slack +off — /m);
    expect(text).toMatch(/^ {2}hand-offs go +nowhere but this log: no agent desk runs \(slack: /m);
  }, 60_000);

  it('names the API reference and the model when they are on', async () => {
    const text = await summaryFor(db, {
      PARLEY_FLOWS_DIR: 'flows',
      PARLEY_API_TOKEN: 'token',
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
    });
    expect(text).toMatch(
      /^ {2}HTTP +http:\/\/127\.0\.0\.1:3000 \(API http:\/\/127\.0\.0\.1:3000\/api\/v1, reference http:\/\/127\.0\.0\.1:3000\/api\/v1\/docs\)$/m,
    );
    expect(text).toMatch(/^ {2}AI assist +on \(gpt-4o-mini at http:\/\/127\.0\.0\.1:9\/v1\)$/m);
    expect(text).not.toContain('sk-test');
  }, 60_000);
});
