import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { loadDotEnv } from '../src/cli/dotenv.ts';
import { buildProgram, runCli } from '../src/cli/program.ts';
import { type Database, openDatabase } from '../src/db/database.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';
import { FakeHttpServer, json } from './support/fake-http.ts';
import { FakeSlack } from './support/fake-slack.ts';
import { runParleyProcess } from './support/parley-process.ts';
import { settle, testParley } from './support/parley.ts';

const dir = mkdtempSync(join(tmpdir(), 'parley-cli-'));
mkdirSync(join(dir, 'no-flows'));
const STACK_LINE = /^\s+at /m;
// Without flows the plain acknowledgement answers; the shipped flows are tested with flows/.
const baseEnv = {
  DATABASE_URL: `file:${join(dir, 'parley.db')}`,
  PARLEY_DEFAULT_REGION: 'IR',
  PARLEY_FLOWS_DIR: join(dir, 'no-flows'),
  LOG_LEVEL: 'warn',
  LOG_FORMAT: 'json',
};

/** Runs one command line in this process, as `parley` would, and captures what it prints. */
async function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  for (const [name, value] of Object.entries({ ...baseEnv, ...env })) vi.stubEnv(name, value);
  try {
    return { code: await runCli(args), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    vi.unstubAllEnvs();
  }
}

/** Runs `bin/parley.js` as a separate process (for what only a process shows: stdin, pipes). */
const parleyProcess = (args: string[], input = '', options: { closeStdout?: boolean } = {}) => runParleyProcess(args, input, baseEnv, options);

function allCommands(command: Command, path: string[] = []): string[][] {
  return [path, ...command.commands.flatMap((c) => allCommands(c, [...path, c.name()]))];
}

beforeAll(async () => {
  expect((await cli(['migrate'])).code).toBe(0);
}, 120_000);
afterEach(() => vi.unstubAllEnvs());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('parley CLI: help and descriptions', () => {
  it('has --help on every command, and promises no web chat', async () => {
    const commands = allCommands(buildProgram());
    expect(commands.length).toBeGreaterThan(20);
    for (const command of commands) {
      const result = await cli([...command, '--help']);
      expect(result.code, command.join(' ')).toBe(0);
      expect(result.stdout).toMatch(/^Usage: parley/);
      expect(result.stdout.toLowerCase()).not.toContain('web chat');
    }
  }, 120_000);
});

describe('parley CLI: a user mistake gets a message, never a stack trace', () => {
  it('an unknown --status is a usage error (exit 2) naming the choices', async () => {
    const result = await cli(['conversations', 'list', '--status', 'bogus']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("argument 'bogus' is invalid. Allowed choices are bot, waiting_for_agent, assigned, waiting_for_customer, resolved");
    expect(result.stderr).not.toMatch(STACK_LINE);
  });

  it('a --limit that is not a whole number in range is a usage error', async () => {
    const result = await cli(['conversations', 'list', '--limit', 'ten']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('give a whole number from 1 to 500');
  });

  it('flows stats --since takes the one duration format; a bare number is refused with the forms that work', async () => {
    const bad = await cli(['flows', 'stats', 'complaint', '--since', '7']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      'parley: --since: "7" is neither a duration (a number and a unit (ms, s, m, h, d, w), e.g. 30m, 24h, 7d, 2w) nor an ISO date such as 2026-01-31\n',
    );
    const good = await cli(['flows', 'stats', 'complaint', '--since', '7d'], { PARLEY_FLOWS_DIR: 'flows' });
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/^flow complaint: 0 sessions/);
    const date = await cli(['report', '--since', '2026-01-01', '--format', 'json']);
    expect(date.code).toBe(0);
    expect(JSON.parse(date.stdout).since).toMatch(/^2026-01-01T00:00:00/);
  }, 60_000);

  it('start on a busy port says which address is taken and how to fix it', async () => {
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const result = await cli(['start'], { HOST: '127.0.0.1', PORT: String(port) });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`parley: 127.0.0.1:${port} is already in use by another program: stop it, or set PORT (or HOST) to a free one\n`);
      const debug = await cli(['start', '--debug'], { HOST: '127.0.0.1', PORT: String(port) });
      expect(debug.code).toBe(1);
      expect(debug.stderr).toMatch(STACK_LINE);
    } finally {
      busy.close();
    }
  }, 60_000);

  it('migrate against a PostgreSQL database that does not exist says so, and how to create it', async () => {
    const result = await cli(['migrate'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/parley_no_such_db' });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'parley: the database "parley_no_such_db" does not exist (DATABASE_URL postgres://postgres@127.0.0.1:5432/parley_no_such_db): create it (createdb parley_no_such_db, or CREATE DATABASE) or fix DATABASE_URL\n',
    );
  }, 60_000);

  it('a PostgreSQL server that does not answer is named by host and port', async () => {
    const closed: Server = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const result = await cli(['conversations', 'list'], { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/parley` });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`parley: no database server answers at 127.0.0.1:${port}`);
    expect(result.stderr).not.toMatch(STACK_LINE);
  }, 60_000);

  it('a bad setting is reported by name', async () => {
    const result = await cli(['migrate'], { PARLEY_REOPEN_WINDOW: 'soon' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('PARLEY_REOPEN_WINDOW="soon": "soon" is not a duration');
    expect(result.stderr).not.toMatch(STACK_LINE);
  });

  it('an unknown command is a usage error', async () => {
    const result = await cli(['conversation', 'list']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown command 'conversation'");
  });
});

describe('parley doctor', () => {
  const graph = new FakeHttpServer();
  let graphUrl: string;
  beforeAll(async () => {
    graphUrl = await graph.listen();
  });
  afterAll(async () => graph.close());
  const whatsapp = (token: string) => ({
    WHATSAPP_ACCESS_TOKEN: token,
    WHATSAPP_PHONE_NUMBER_ID: '106540352242922',
    WHATSAPP_APP_SECRET: 'app-secret',
    WHATSAPP_VERIFY_TOKEN: 'verify',
    WHATSAPP_GRAPH_URL: graphUrl,
  });

  it("checks the settings, the database and a channel's credentials with a harmless read", async () => {
    graph.route = (request, response) =>
      request.headers.authorization === 'Bearer good-token'
        ? json(response, 200, { display_phone_number: '+98 21 1234 5678', verified_name: 'Parley Test', id: '106540352242922' })
        : json(response, 401, { error: { message: 'Invalid OAuth access token.', type: 'OAuthException', code: 190 } });
    const good = await cli(['doctor'], whatsapp('good-token'));
    expect(good.stderr).toBe('');
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/^ok +configuration +every setting is valid$/m);
    expect(good.stdout).toMatch(/^ok +database +reachable: file:/m);
    expect(good.stdout).toMatch(/^ok +channel whatsapp +credentials accepted: phone number \+98 21 1234 5678 \(Parley Test\)$/m);
    expect(good.stdout).toMatch(/^off +channel sms +set /m);
    expect(graph.requests.at(-1)).toMatchObject({ method: 'GET', url: '/v23.0/106540352242922?fields=display_phone_number,verified_name' });

    const bad = await cli(['doctor'], whatsapp('expired-token'));
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^problem +channel whatsapp +Invalid OAuth access token\.$/m);
    expect(bad.stderr).toBe('parley: 1 problem found\n');
  }, 60_000);

  it('checks Twilio credentials by reading the account, never by sending', async () => {
    const twilioApi = new FakeHttpServer();
    const apiUrl = await twilioApi.listen();
    const sid = 'AC0123456789abcdef0123456789abcdef';
    twilioApi.route = (request, response) => {
      const good = request.headers.authorization === `Basic ${Buffer.from(`${sid}:good-secret`).toString('base64')}`;
      if (!good) return json(response, 401, { code: 20003, message: 'Authenticate', status: 401 });
      if (request.method === 'GET' && request.url === `/2010-04-01/Accounts/${sid}.json`)
        return json(response, 200, { sid, friendly_name: 'Parley Test', status: 'active', type: 'Full' });
      json(response, 404, { code: 20404, message: 'not found', status: 404 });
    };
    const sms = (token: string) => ({ TWILIO_ACCOUNT_SID: sid, TWILIO_AUTH_TOKEN: token, TWILIO_FROM: '+15005550006', TWILIO_API_URL: apiUrl });
    try {
      const good = await cli(['doctor'], sms('good-secret'));
      expect(good.stdout).toMatch(/^ok +channel sms +credentials accepted: Twilio account Parley Test \(active\)$/m);
      expect(twilioApi.requests.every((r) => r.method === 'GET')).toBe(true);
      const bad = await cli(['doctor'], sms('old-secret'));
      expect(bad.code).toBe(1);
      expect(bad.stdout).toMatch(/^problem +channel sms +Twilio refused TWILIO_ACCOUNT_SID\/TWILIO_AUTH_TOKEN \(HTTP 401\)$/m);
    } finally {
      await twilioApi.close();
    }
  }, 60_000);

  it("checks the Slack desk's bot token with auth.test", async () => {
    const slack = await new FakeSlack({ token: 'xoxb-good', channels: { CSUPPORT: ['UBOT'] }, users: {} }).start();
    const desk = (token: string) => ({
      SLACK_BOT_TOKEN: token,
      SLACK_SIGNING_SECRET: 'secret',
      SLACK_API_URL: slack.apiUrl,
      SLACK_DEFAULT_CHANNEL: 'CSUPPORT',
    });
    try {
      const good = await cli(['doctor'], desk('xoxb-good'));
      expect(good.stdout).toMatch(/^ok +desk slack +credentials accepted: bot parley in workspace Test$/m);
      expect(slack.calls.map((c) => c.method)).toEqual(['auth.test']);
      const bad = await cli(['doctor'], desk('xoxb-revoked'));
      expect(bad.code).toBe(1);
      expect(bad.stdout).toMatch(/^problem +desk slack +Slack refused SLACK_BOT_TOKEN: invalid_auth$/m);
    } finally {
      await slack.stop();
    }
  }, 60_000);

  it('names a bad setting and a database that does not exist', async () => {
    const badSetting = await cli(['doctor'], { PORT: 'eighty' });
    expect(badSetting.code).toBe(1);
    expect(badSetting.stdout).toMatch(/^problem +configuration +PORT="eighty": /m);
    const noDatabase = await cli(['doctor'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/parley_no_such_db' });
    expect(noDatabase.code).toBe(1);
    expect(noDatabase.stdout).toMatch(/^problem +database +the database "parley_no_such_db" does not exist/m);
  }, 60_000);
});

describe.each(dialects)('parley CLI on %s', (dialect) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase(dialect);
    await seedConversations(db, ['+98 912 000 0001', '+98 912 000 0002']);
    const first = await db.prisma.conversation.findFirstOrThrow({ orderBy: { id: 'asc' } });
    await db.prisma.conversation.update({ where: { id: first.id }, data: { status: 'resolved' } });
  }, 120_000);
  afterAll(async () => db?.dispose());

  it('lists conversations by status, and counts flow steps since a duration', async () => {
    const resolved = await cli(['conversations', 'list', '--status', 'resolved', '--limit', '5'], { DATABASE_URL: db.url });
    expect(resolved.code).toBe(0);
    expect(resolved.stdout.trim().split('\n')).toHaveLength(1);
    expect(resolved.stdout).toMatch(/ whatsapp {2}resolved /);
    const all = await cli(['conversations', 'list'], { DATABASE_URL: db.url });
    expect(all.stdout.trim().split('\n')).toHaveLength(2);
    const stats = await cli(['flows', 'stats', 'complaint', '--since', '2w', '--json'], { DATABASE_URL: db.url, PARLEY_FLOWS_DIR: 'flows' });
    expect(stats.code).toBe(0);
    expect(JSON.parse(stats.stdout).sessions).toMatchObject({ started: 0 });
    const doctor = await cli(['doctor'], { DATABASE_URL: db.url });
    expect(doctor.stdout).toMatch(new RegExp(`^ok +database +reachable: ${dialect === 'sqlite' ? 'file:' : 'postgres'}`, 'm'));
  }, 60_000);

  it("check-config, canned, doctor and migrate speak the agents' language (fa)", async () => {
    const fa = { DATABASE_URL: db.url, PARLEY_AGENT_LOCALE: 'fa' };
    expect((await cli(['migrate'], fa)).stdout).toMatch(/^\S+ به‌روز است\n$/);
    const doctor = await cli(['doctor'], { ...fa, PARLEY_FLOWS_DIR: 'flows', PARLEY_ROUTING_CONFIG: 'examples/routing.yaml' });
    expect(doctor.stdout).toMatch(/^ok +configuration +همهٔ تنظیمات درست است$/m);
    expect(doctor.stdout).toMatch(/^ok +flows +[۰-۹]+ جریان در flows$/m);
    expect(doctor.stdout).toMatch(/^ok +routing +۳ تیم در examples\/routing.yaml$/m);
    expect(doctor.stdout).toMatch(new RegExp(`^ok +database +در دسترس: ${dialect === 'sqlite' ? 'file:' : 'postgres'}`, 'm'));
    const checked = await cli(['check-config'], { ...fa, PARLEY_ROUTING_CONFIG: 'examples/routing.yaml', PARLEY_ALERTS_CONFIG: 'examples/alerts.yaml' });
    expect(checked.code).toBe(0);
    expect(checked.stdout).toBe('درست است: ۳ تیم، ۳ کارشناس، ۴ قاعدهٔ هشدار\n');
    expect((await cli(['canned', 'list'], fa)).stdout).toBe('پاسخ آماده‌ای نیست\n');
    expect((await cli(['canned', 'add', 'thanks', 'Thank', 'you'], fa)).stdout).toBe('thanks ذخیره شد\n');
    expect((await cli(['canned', 'list'], fa)).stdout).toBe('thanks\tThank you\n');
    expect((await cli(['canned', 'remove', 'thanks'], fa)).stdout).toBe('thanks حذف شد\n');
    const missing = await cli(['canned', 'remove', 'thanks'], fa);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('canned response "thanks" not found');
  }, 60_000);
});

/** One conversation per address, written through the real pipeline. */
async function seedConversations(db: Database, addresses: string[]): Promise<void> {
  const parley = await testParley(db);
  await parley.startChannels();
  for (const [i, address] of addresses.entries()) {
    await parley.inbox.accept({ channel: 'whatsapp', externalId: `seed-${i}`, sender: { address, addressKind: 'phone' }, text: 'hello', raw: {} });
  }
  await settle(parley);
  await parley.stop();
}

describe('settings', () => {
  it('PARLEY_DATA_DIR holds the SQLite database unless DATABASE_URL names another', () => {
    expect(loadConfig({}).DATABASE_URL).toBe('file:./data/parley.db');
    expect(loadConfig({ PARLEY_DATA_DIR: '/var/lib/parley' }).DATABASE_URL).toBe('file:/var/lib/parley/parley.db');
    expect(loadConfig({ PARLEY_DATA_DIR: '/var/lib/parley', DATABASE_URL: 'file:/elsewhere.db' }).DATABASE_URL).toBe('file:/elsewhere.db');
  });

  it('.env fills in what the environment does not set; the real environment wins', () => {
    const folder = mkdtempSync(join(dir, 'env-'));
    writeFileSync(join(folder, '.env'), '# settings\nPORT=4000\nLOG_LEVEL=debug\nPARLEY_ACK_TEXT="Thanks, we got it"\n');
    const env: Record<string, string | undefined> = { LOG_LEVEL: 'warn' };
    expect(loadDotEnv(env, folder).sort()).toEqual(['PARLEY_ACK_TEXT', 'PORT']);
    expect(env).toEqual({ LOG_LEVEL: 'warn', PORT: '4000', PARLEY_ACK_TEXT: 'Thanks, we got it' });
    expect(loadDotEnv({}, join(folder, 'nothing-here'))).toEqual([]);
  });

  it('a .env file is read at start: its PARLEY_DATA_DIR is where migrate puts the database', async () => {
    const folder = mkdtempSync(join(dir, 'data-'));
    writeFileSync(join(folder, 'settings.env'), `PARLEY_DATA_DIR=${join(folder, 'store')}\n`);
    const result = await cli(['migrate'], { DATABASE_URL: undefined, PARLEY_DATA_DIR: undefined, PARLEY_ENV_FILE: join(folder, 'settings.env') });
    expect(result.code).toBe(0);
    expect(existsSync(join(folder, 'store', 'parley.db'))).toBe(true);
    const missing = await cli(['migrate'], { PARLEY_ENV_FILE: join(folder, 'missing.env') });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^parley: PARLEY_ENV_FILE: cannot read .*missing\.env: ENOENT/);
  }, 60_000);
});

describe('parley templates and contact-policy', () => {
  it('lists and checks the templates file, refuses a bad one with its lines, and prints the effective contact policy', async () => {
    const list = await cli(['templates', 'list'], { PARLEY_TEMPLATES_FILE: 'examples/templates.yaml' });
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[2]).toMatch(/^winback_offer +winback +marketing +en,fa,ar +\{\{1\}\}=customer_name \{\{2\}\}=offer_code$/);
    expect((await cli(['templates', 'check', 'examples/templates.yaml'])).stdout).toBe('ok: examples/templates.yaml: 3 templates, 9 language variants\n');
    const bad = join(dir, 'bad-templates.yaml');
    writeFileSync(bad, 'templates:\n  - name: promo\n    purpose: campaign\n    category: marketing\n    languages:\n      en: { body: "Sale {{1}} now" }\n');
    const refused = await cli(['templates', 'check', bad]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`${bad}:6:19: templates.0.languages.en.body: {{1}} is not one of the variables: none are declared`);
    expect((await cli(['templates', 'list'], { PARLEY_TEMPLATES_FILE: undefined })).stderr).toMatch(/no templates file: pass one or set PARLEY_TEMPLATES_FILE/);

    const policy = await cli(['contact-policy', 'show'], { PARLEY_CAMPAIGN_CONTACT_CAP: '1/14d', PARLEY_CHANNEL_CONTACT_CAPS: 'sms=1/7d' });
    expect(policy.code).toBe(0);
    expect(policy.stdout).toMatch(/^overall +3 per 7d +PARLEY_CONTACT_CAP/m);
    expect(policy.stdout).toMatch(/^campaign +1 per 14d +PARLEY_CAMPAIGN_CONTACT_CAP$/m);
    expect(policy.stdout).toMatch(/^channel sms +1 per 7d +PARLEY_CHANNEL_CONTACT_CAPS$/m);
    expect(JSON.parse((await cli(['contact-policy', 'show', '--format', 'json'])).stdout).perKind.survey).toEqual({ max: 1, withinMs: 7 * 86_400_000 });
  });
});

describe('parley CLI as a process', () => {
  it('chat with piped input prints the acknowledgement of every line', async () => {
    const result = await parleyProcess(['chat', '--from', '+98 912 123 4567'], 'hello\nI have a question\n');
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.startsWith('Thanks for your message!'))).toBe(true);
  }, 120_000);

  it('chat answers in Persian to a Persian customer, as that customer on another channel', async () => {
    const result = await parleyProcess(['chat', '--from', 'sara@example.com', '--channel', 'email'], 'سلام، یک سوال داشتم\n');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('ممنون از پیام شما');
    const search = await cli(['customers', 'search', 'SARA@example.com', '--json']);
    expect(JSON.parse(search.stdout)[0].identities).toEqual([{ channel: 'email', address: 'sara@example.com' }]);
  }, 120_000);

  it('chat rejects an unusable address with a clear error', async () => {
    const result = await parleyProcess(['chat', '--from', '+98 12'], 'hi\n');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^parley: --from: /);
  }, 120_000);

  it('stops quietly when the reader of its output goes away (| head)', async () => {
    const db = await openDatabase(baseEnv.DATABASE_URL);
    await seedConversations(db, ['+98 912 000 0003']);
    const { id } = await db.prisma.conversation.findFirstOrThrow({ where: { customer: { identities: { some: { address: '+989120000003' } } } } });
    await db.close();
    // The reader is gone before the first line: every write meets a closed pipe (EPIPE).
    const result = await parleyProcess(['conversations', 'show', id], '', { closeStdout: true });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  }, 120_000);
});
