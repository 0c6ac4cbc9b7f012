import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { UserError } from '../core/errors.ts';
import { addStudioUser, listStudioUsers, removeStudioUser, setStudioPassword, studioEmail, studioRole } from '../studio/users.ts';
import { printJson, withDatabase } from './context.ts';

interface PasswordSource {
  readonly passwordStdin?: boolean;
}

export async function addUserCommand(email: string, options: PasswordSource & { role: string }): Promise<void> {
  const role = studioRole(options.role);
  const address = studioEmail(email);
  const password = await readPassword(options);
  await withDatabase(async (db) => {
    const user = await addStudioUser(db, { email: address, role, password });
    process.stdout.write(`added ${user.email} (${user.role})\n`);
  });
}

export async function listUsersCommand(options: { json?: boolean }): Promise<void> {
  await withDatabase(async (db) => {
    const users = await listStudioUsers(db);
    if (options.json) return printJson(users);
    if (users.length === 0) return void process.stdout.write('no studio users: add the first admin with parley users add <email> --role admin\n');
    for (const u of users)
      process.stdout.write(`${u.email}\t${u.role}\t${u.disabledAt ? 'disabled' : 'active'}\tsince ${u.createdAt.toISOString().slice(0, 10)}\n`);
  });
}

export async function removeUserCommand(email: string): Promise<void> {
  await withDatabase(async (db) => {
    await removeStudioUser(db, email);
    process.stdout.write(`removed ${studioEmail(email)}\n`);
  });
}

export async function passwdCommand(email: string, options: PasswordSource): Promise<void> {
  const address = studioEmail(email);
  const password = await readPassword(options);
  await withDatabase(async (db) => {
    await setStudioPassword(db, address, password);
    process.stdout.write(`password set for ${address}; their sessions have ended\n`);
  });
}

/** The password: the first line of stdin with --password-stdin, else asked twice on a terminal without echo. */
async function readPassword(options: PasswordSource): Promise<string> {
  if (options.passwordStdin) {
    const line = await firstLine();
    if (!line) throw new UserError('--password-stdin: stdin had no password');
    return line;
  }
  if (!process.stdin.isTTY) throw new UserError('no terminal to ask the password on: pipe it in with --password-stdin');
  const first = await ask('Password: ');
  const again = await ask('Password again: ');
  if (first !== again) throw new UserError('the two passwords differ');
  return first;
}

async function firstLine(): Promise<string | undefined> {
  const lines = createInterface({ input: process.stdin, terminal: false });
  for await (const line of lines) {
    lines.close();
    return line.replace(/\r$/, '');
  }
  return undefined;
}

/** Asks on the terminal; what is typed is not echoed. */
async function ask(prompt: string): Promise<string> {
  process.stderr.write(prompt);
  const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
  const reader = createInterface({ input: process.stdin, output: muted, terminal: true });
  try {
    return await new Promise<string>((resolve) => reader.question('', resolve));
  } finally {
    reader.close();
    process.stderr.write('\n');
  }
}
