import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'parley-cli-'));
mkdirSync(join(dir, 'no-flows'));
// Without flows the plain acknowledgement answers; the shipped flows are tested with flows/.
const env = {
  ...process.env,
  DATABASE_URL: `file:${join(dir, 'parley.db')}`,
  PARLEY_DEFAULT_REGION: 'IR',
  PARLEY_FLOWS_DIR: join(dir, 'no-flows'),
  LOG_LEVEL: 'warn',
  LOG_FORMAT: 'json' as const,
};

function chat(args: string[], input: string): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/parley.js', 'chat', ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code }));
    child.stdin.end(input);
  });
}

describe('parley CLI', () => {
  beforeAll(async () => {
    await run(process.execPath, ['bin/parley.js', 'migrate'], { env });
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('chat with piped input prints the acknowledgement of every line', async () => {
    const result = await chat(['--from', '+98 912 123 4567'], 'hello\nI have a question\n');
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.startsWith('Thanks for your message!'))).toBe(true);
  }, 60_000);

  it('chat answers in Persian to a Persian customer, as that customer on another channel', async () => {
    const result = await chat(['--from', 'sara@example.com', '--channel', 'email'], 'سلام، یک سوال داشتم\n');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('ممنون از پیام شما');
    const search = await run(process.execPath, ['bin/parley.js', 'customers', 'search', 'SARA@example.com', '--json'], { env });
    expect(JSON.parse(search.stdout)[0].identities).toEqual([{ channel: 'email', address: 'sara@example.com' }]);
  }, 60_000);

  it('chat rejects an unusable address with a clear error', async () => {
    const result = await chat(['--from', '+98 12'], 'hi\n');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^parley: --from: /);
  }, 60_000);

  it('has --help on every command', async () => {
    for (const command of [
      [],
      ['start'],
      ['chat'],
      ['migrate'],
      ['config'],
      ['channels'],
      ['customers'],
      ['customers', 'merge'],
      ['conversations', 'show'],
      ['flows'],
      ['flows', 'validate'],
      ['flows', 'simulate'],
      ['flows', 'stats'],
    ]) {
      const { stdout } = await run(process.execPath, ['bin/parley.js', ...command, '--help'], { env });
      expect(stdout).toMatch(/^Usage: parley/);
    }
  }, 60_000);

  it('reports a bad setting by name', async () => {
    const failure = await run(process.execPath, ['bin/parley.js', 'migrate'], { env: { ...env, PARLEY_REOPEN_WINDOW: 'soon' } }).catch(
      (e: { stderr: string; code: number }) => e,
    );
    expect((failure as { code: number }).code).toBe(1);
    expect((failure as { stderr: string }).stderr).toContain('PARLEY_REOPEN_WINDOW="soon": "soon" is not a duration');
  }, 60_000);
});
