import { ImapFlow } from 'imapflow';
import type { Logger } from 'pino';
import type { ChannelStateStore } from '../../src/core/channel.ts';
import type { MailboxConfig } from './config.ts';

/** Where a mail was found: kept with it, and the cursor that says what was already imported. */
export interface MailLocation {
  readonly uidValidity: string;
  readonly uid: number;
}

interface Cursor {
  readonly uidValidity: string;
  readonly lastUid: number;
}

export interface MailboxReaderOptions {
  readonly pollIntervalMs: number;
  /** At most this many mails are fetched, stored and flagged together... */
  readonly chunkSize: number;
  /** ...and at most this many bytes of them (large mails go alone). */
  readonly chunkBytes: number;
  readonly state: ChannelStateStore;
  readonly logger: Logger;
  /** Stores mails (in UID order); resolves only when all are durably stored (or deliberately skipped). */
  readonly onMails: (mails: readonly { source: Buffer; location: MailLocation }[]) => Promise<void>;
}

const MAX_BACKOFF_MS = 60_000;

/**
 * Reads one IMAP folder: catches up from the stored cursor, then waits in IDLE (and polls as
 * a fallback). A mail is flagged \Seen (or moved) and the cursor advanced only after it is
 * stored, so a restart neither misses nor re-imports mail. Reconnects with backoff.
 */
/** Where and as whom a mailbox's IMAP server is reached. */
export function imapConnection(mailbox: MailboxConfig): ConstructorParameters<typeof ImapFlow>[0] {
  const { imap } = mailbox;
  return {
    host: imap.host,
    port: imap.port,
    secure: imap.secure,
    doSTARTTLS: imap.starttls === 'required' ? true : imap.starttls === 'off' ? false : undefined,
    auth: { user: imap.user ?? '', pass: imap.pass ?? '' },
    logger: false,
  };
}

/** Logs in to a mailbox's IMAP server and out again: proves the credentials, reads nothing. */
export async function checkImapLogin(mailbox: MailboxConfig): Promise<void> {
  const client = new ImapFlow({ ...imapConnection(mailbox), connectionTimeout: 15_000 });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    const refused = (error as { authenticationFailed?: boolean }).authenticationFailed;
    throw new Error(
      `${mailbox.name}: IMAP ${refused ? 'login refused' : 'server not reachable'} at ${mailbox.imap.host}:${mailbox.imap.port} (${(error as Error).message})`,
      { cause: error },
    );
  }
  await client.logout().catch(() => client.close());
}

export class MailboxReader {
  #client: ImapFlow | undefined;
  #stopped = false;
  #syncing: Promise<void> | undefined;
  #again = false;
  #attempt = 0;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  #detail = 'not started';
  #ready = false;
  readonly #cursorKey: string;

  constructor(
    readonly mailbox: MailboxConfig,
    private readonly options: MailboxReaderOptions,
  ) {
    this.#cursorKey = `imap:${mailbox.name}:${mailbox.folder}`;
  }

  get health(): { ready: boolean; detail: string } {
    return { ready: this.#ready, detail: `${this.mailbox.name} (${this.mailbox.imap.display} ${this.mailbox.folder}): ${this.#detail}` };
  }

  /** Connects and catches up; a failure is reported in health and retried with backoff. */
  async start(): Promise<void> {
    this.#stopped = false;
    this.#pollTimer = setInterval(() => {
      if (this.#ready) void this.sync();
    }, this.options.pollIntervalMs);
    this.#pollTimer.unref();
    await this.#connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#pollTimer);
    clearTimeout(this.#reconnectTimer);
    await this.#syncing?.catch(() => {});
    const client = this.#client;
    this.#client = undefined;
    this.#ready = false;
    this.#detail = 'stopped';
    if (client?.usable) await client.logout().catch(() => client.close());
    else client?.close();
  }

  async #connect(): Promise<void> {
    const client = new ImapFlow({
      ...imapConnection(this.mailbox),
      disableAutoIdle: true,
      maxIdleTime: this.options.pollIntervalMs,
      connectionTimeout: 30_000,
    });
    this.#client = client;
    client.on('exists', () => void this.sync());
    client.on('error', (error: Error) => this.options.logger.warn({ mailbox: this.mailbox.name, reason: error.message }, 'email: IMAP connection error'));
    client.on('close', () => {
      if (this.#client !== client || this.#stopped) return;
      this.#ready = false;
      this.#scheduleReconnect('connection closed');
    });
    try {
      await client.connect();
      await client.mailboxOpen(this.mailbox.folder);
    } catch (error) {
      // Detached first, so its close event does not schedule a second reconnect.
      this.#client = undefined;
      client.close();
      this.#ready = false;
      this.#scheduleReconnect((error as Error).message);
      return;
    }
    if (this.#stopped) {
      await client.logout().catch(() => client.close());
      return;
    }
    this.#attempt = 0;
    this.#ready = true;
    this.#detail = 'connected';
    this.options.logger.info({ mailbox: this.mailbox.name, server: this.mailbox.imap.display, folder: this.mailbox.folder }, 'email: mailbox connected');
    await this.sync();
  }

  #scheduleReconnect(reason: string): void {
    if (this.#stopped) return;
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.#attempt) * (0.75 + Math.random() / 2);
    this.#attempt++;
    this.#detail = `reconnecting in ${Math.round(delay / 1000)}s (${reason})`;
    this.options.logger.warn({ mailbox: this.mailbox.name, reason, retryInMs: Math.round(delay) }, 'email: IMAP unavailable; will reconnect');
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => void this.#connect(), delay);
  }

  /** Imports everything new; concurrent calls share one run (and cause one more pass). */
  sync(): Promise<void> {
    if (this.#syncing) {
      this.#again = true;
      return this.#syncing;
    }
    this.#syncing = (async () => {
      try {
        do {
          this.#again = false;
          await this.#syncOnce();
        } while (this.#again && !this.#stopped);
        this.#detail = 'up to date, waiting for mail (IDLE)';
      } catch (error) {
        this.#detail = `import failed, retrying: ${(error as Error).message}`;
        this.options.logger.error({ err: error, mailbox: this.mailbox.name }, 'email: import failed; will retry');
        const timer = setTimeout(() => void this.sync(), Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.#attempt++));
        timer.unref();
      } finally {
        this.#syncing = undefined;
      }
      const client = this.#client;
      if (client?.usable && !this.#stopped) void client.idle().catch(() => {});
    })();
    return this.#syncing;
  }

  async #syncOnce(): Promise<void> {
    const client = this.#client;
    if (!client?.usable || !client.mailbox) return;
    const uidValidity = String(client.mailbox.uidValidity);
    const uidNextAtStart = client.mailbox.uidNext;
    const cursor = (await this.options.state.get(this.#cursorKey)) as Cursor | undefined;
    let uids: number[];
    let lastUid: number;
    if (!cursor) {
      // First start on this mailbox: what nobody has read yet, not years of history.
      uids = (await client.search({ seen: false }, { uid: true })) || [];
      lastUid = 0;
    } else if (cursor.uidValidity !== uidValidity) {
      // The server renumbered the folder: read all of it again; Message-IDs drop what was stored.
      this.options.logger.warn({ mailbox: this.mailbox.name, was: cursor.uidValidity, now: uidValidity }, 'email: UIDVALIDITY changed; rescanning the folder');
      uids = (await client.search({ all: true }, { uid: true })) || [];
      lastUid = 0;
    } else {
      lastUid = cursor.lastUid;
      uids = ((await client.search({ uid: `${lastUid + 1}:*` }, { uid: true })) || []).filter((uid) => uid > lastUid);
    }
    uids.sort((a, b) => a - b);
    for (const chunk of await this.#chunks(client, uids)) {
      if (this.#stopped) break;
      const range = uidSet(chunk);
      const messages = await client.fetchAll(range, { uid: true, source: true }, { uid: true });
      await this.options.onMails(
        messages.sort((a, b) => a.uid - b.uid).flatMap((m) => (m.source ? [{ source: m.source, location: { uidValidity, uid: m.uid } }] : [])),
      );
      // Only now, with every mail of the chunk stored: flag or move, then advance the cursor.
      if (this.mailbox.moveTo) await client.messageMove(range, this.mailbox.moveTo, { uid: true });
      else await client.messageFlagsAdd(range, ['\\Seen'], { uid: true });
      lastUid = Math.max(lastUid, chunk.at(-1) as number);
      await this.options.state.set(this.#cursorKey, { uidValidity, lastUid } satisfies Cursor);
    }
    const floor = Math.max(lastUid, uidNextAtStart - 1);
    if (!this.#stopped && (!cursor || cursor.uidValidity !== uidValidity || floor > lastUid)) {
      await this.options.state.set(this.#cursorKey, { uidValidity, lastUid: floor } satisfies Cursor);
    }
  }

  /** UIDs in groups bounded by count and by total size (sizes come from one FETCH RFC822.SIZE). */
  async #chunks(client: ImapFlow, uids: number[]): Promise<number[][]> {
    if (uids.length === 0) return [];
    const sizes = new Map((await client.fetchAll(uidSet(uids), { uid: true, size: true }, { uid: true })).map((m) => [m.uid, m.size ?? 0]));
    const chunks: number[][] = [];
    let current: number[] = [];
    let bytes = 0;
    for (const uid of uids) {
      const size = sizes.get(uid) ?? 0;
      if (current.length > 0 && (current.length >= this.options.chunkSize || bytes + size > this.options.chunkBytes)) {
        chunks.push(current);
        current = [];
        bytes = 0;
      }
      current.push(uid);
      bytes += size;
    }
    if (current.length > 0) chunks.push(current);
    return chunks;
  }
}

/** Sorted UIDs as a compact IMAP sequence set: 1:5,7,9:12. */
export function uidSet(uids: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < uids.length;) {
    let j = i;
    while (j + 1 < uids.length && (uids[j + 1] as number) === (uids[j] as number) + 1) j++;
    parts.push(i === j ? String(uids[i]) : `${uids[i]}:${uids[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}
