import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runParleyProcess } from './support/parley-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'parley-users-'));
const env = { DATABASE_URL: `file:${join(dir, 'parley.db')}`, LOG_LEVEL: 'warn' };

/** `parley` as a separate process: the password comes on stdin, as an operator pipes it. */
const parley = (args: string[], input = '') => runParleyProcess(args, input, env);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('parley users', { timeout: 300_000 }, () => {
  it('adds, lists, re-passwords and removes studio users; the password never on argv', async () => {
    expect(await parley(['users', 'add', 'Owner@Example.com', '--role', 'admin', '--password-stdin'], 'a long enough secret\n')).toMatchObject({
      code: 0,
      stdout: 'added owner@example.com (admin)\n',
    });
    const list = await parley(['users', 'list', '--json']);
    expect(JSON.parse(list.stdout)).toMatchObject([{ email: 'owner@example.com', role: 'admin', disabledAt: null }]);
    expect((await parley(['users', 'passwd', 'owner@example.com', '--password-stdin'], 'another long secret\n')).stdout).toBe(
      'password set for owner@example.com; their sessions have ended\n',
    );
    expect((await parley(['users', 'remove', 'OWNER@example.com'])).stdout).toBe('removed owner@example.com\n');
    expect((await parley(['users', 'list'])).stdout).toBe('no studio users: add the first admin with parley users add <email> --role admin\n');
  });

  it('names what is wrong: the role, the email, a missing or short password', async () => {
    const role = await parley(['users', 'add', 'a@example.com', '--role', 'wizard', '--password-stdin'], 'a long enough secret\n');
    expect(role.code).not.toBe(0);
    expect(role.stderr).toContain('role "wizard": a role is one of admin, manager, marketer, agent');
    const email = await parley(['users', 'add', 'not-an-email', '--role', 'agent', '--password-stdin'], 'a long enough secret\n');
    expect(email.stderr).toContain('email "not-an-email": not an email address');
    const noTerminal = await parley(['users', 'add', 'a@example.com', '--role', 'agent']);
    expect(noTerminal.stderr).toContain('no terminal to ask the password on: pipe it in with --password-stdin');
    const short = await parley(['users', 'add', 'a@example.com', '--role', 'agent', '--password-stdin'], 'short\n');
    expect(short.stderr).toContain('the password is too short: at least 8 characters');
  });
});
