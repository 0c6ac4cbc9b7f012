import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ImapFlow } from 'imapflow';

export const DOVECOT_BINARY = '/usr/sbin/dovecot';

/** A free loopback port (bound, read and released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface Dovecot {
  readonly port: number;
  /** imap://user:password@127.0.0.1:port?starttls=off */
  url(user: string): string;
  /** An IMAP client logged in as `user` (the "other mail client" of the tests). */
  client(user: string): Promise<ImapFlow>;
  stop(): Promise<void>;
}

const PASSWORD = 'secret';

/** Debian's Dovecot on a loopback port with a throwaway config and mail directory. */
export async function startDovecot(users: readonly string[], options: { port?: number } = {}): Promise<Dovecot> {
  if (!existsSync(DOVECOT_BINARY)) throw new Error(`${DOVECOT_BINARY} is missing: install it with apt-get install -y dovecot-imapd (.ci/run does)`);
  const dir = mkdtempSync(join(tmpdir(), 'parley-dovecot-'));
  chmodSync(dir, 0o755);
  const mail = join(dir, 'mail');
  mkdirSync(mail);
  chownSync(mail, 65534, 65534);
  const port = options.port ?? (await freePort());
  writeFileSync(join(dir, 'users'), users.map((u) => `${u}:{PLAIN}${PASSWORD}\n`).join(''));
  writeFileSync(
    join(dir, 'dovecot.conf'),
    `protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:${mail}/%u
# Throwaway mail: no fsync per APPEND.
mail_fsync = never
log_path = ${dir}/dovecot.log
passdb {
  driver = passwd-file
  args = scheme=PLAIN ${dir}/users
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=${mail}/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
service imap-login {
  chroot =
}
`,
  );
  const child: ChildProcess = spawn(DOVECOT_BINARY, ['-F', '-c', join(dir, 'dovecot.conf')], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  const client = async (user: string) => {
    const c = new ImapFlow({ host: '127.0.0.1', port, secure: false, doSTARTTLS: false, auth: { user, pass: PASSWORD }, logger: false });
    await c.connect();
    return c;
  };
  for (let i = 0; ; i++) {
    try {
      const probe = await client(users[0] as string);
      await probe.logout();
      break;
    } catch (error) {
      if (i > 100 || child.exitCode !== null) {
        kill();
        throw new Error(`dovecot did not start: ${(error as Error).message}`, { cause: error });
      }
      await sleep(50);
    }
  }
  return {
    port,
    url: (user) => `imap://${encodeURIComponent(user)}:${PASSWORD}@127.0.0.1:${port}?starttls=off`,
    client,
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(3000)]);
      kill();
      process.off('exit', kill);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
