import { type FileHandle, open, stat } from 'node:fs/promises';

/**
 * Makes a SQLite database's commits durable without blocking the event loop. Its writers
 * commit with synchronous = NORMAL (WAL frames written, not synced); a commit that must
 * survive a power cut then waits for `sync()`, an fsync of the WAL file on libuv's thread
 * pool, which is what synchronous = FULL does after each commit but there blocked the event
 * loop for the whole disk sync (7 ms on the 2-core machine), during which no webhook was read
 * and no other commit made. Callers waiting together share one fsync, and the WAL is written
 * in order, so it also makes every earlier commit durable.
 */
export class WalSync {
  #file: FileHandle | undefined;
  #inode = 0;
  #running: Promise<void> | undefined;
  #next: Promise<void> | undefined;

  constructor(private readonly databasePath: string) {}

  /** Resolves once every commit made before the call is on disk. */
  sync(): Promise<void> {
    // A sync running now may have begun before the caller's commit: wait for the next one,
    // which starts when it ends and covers every commit made meanwhile.
    if (!this.#next) {
      const previous = (this.#running ?? Promise.resolve()).catch(() => undefined);
      this.#next = previous.then(() => {
        this.#next = undefined;
        const running = this.#fsync().finally(() => {
          if (this.#running === running) this.#running = undefined;
        });
        this.#running = running;
        return running;
      });
    }
    return this.#next;
  }

  async close(): Promise<void> {
    await this.#running?.catch(() => undefined);
    await this.#file?.close().catch(() => undefined);
    this.#file = undefined;
  }

  async #fsync(): Promise<void> {
    const walPath = `${this.databasePath}-wal`;
    const wal = await stat(walPath).catch(() => undefined);
    if (!wal) {
      // No WAL (nothing written yet, or checkpointed away): the database file holds everything.
      const file = await open(this.databasePath, 'r');
      try {
        await file.sync();
      } finally {
        await file.close();
      }
      return;
    }
    // The WAL is one file while the database is open; a new inode means it was made again.
    if (!this.#file || wal.ino !== this.#inode) {
      await this.#file?.close().catch(() => undefined);
      this.#file = await open(walPath, 'r');
      this.#inode = (await this.#file.stat()).ino;
    }
    await this.#file.sync();
  }
}
