import { createHash } from 'node:crypto';
import { type FileHandle, mkdir, open, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';

/** Attachments up to this size are collected and written in one go; larger ones are written in pieces of it. */
const SMALL_FILE_BYTES = 256 * 1024;

/** An attachment streamed to disk: where it is (unset when it was over the limit and not kept), its size and SHA-256. */
export interface StoredFile {
  readonly url: string | undefined;
  readonly size: number;
  /** Hex SHA-256 of the whole content, computed while it streamed. */
  readonly sha256: string;
}

/**
 * Files of received mail: `<root>/<ab>/<hash>.eml` for the original and `<root>/<ab>/<hash>/`
 * for its attachments, the hash taken from the Message-ID (a re-import writes the same paths).
 * Returned as file: URLs.
 */
export class MailFileStore {
  /**
   * Folders made or being made: one mkdir per folder per process, not per mail. The promise is
   * kept, so mails decoded in parallel wait for the one mkdir of their folder instead of each
   * making it again (a recursive mkdir that finds it made stats it and its parents).
   */
  readonly #made = new Map<string, Promise<unknown>>();

  constructor(readonly root: string) {}

  #paths(messageId: string): { shard: string; base: string } {
    const hash = createHash('sha256').update(messageId).digest('hex').slice(0, 32);
    const shard = join(this.root, hash.slice(0, 2));
    return { shard, base: join(shard, hash) };
  }

  /**
   * Makes `chain` (the root, a shard, a mail's folder: each inside the one before) one after
   * another, each once: parallel mails whose folders share a missing parent make it once rather
   * than race for it.
   */
  async #folders(chain: readonly string[]): Promise<void> {
    for (const folder of chain) {
      let made = this.#made.get(folder);
      if (!made) {
        // Recursive: the root's own parents may be missing, and a folder made by an earlier run is no error.
        made = mkdir(folder, { recursive: true });
        this.#made.set(folder, made);
        // A failed mkdir is tried again by the next mail.
        made.catch(() => this.#made.delete(folder));
      }
      await made;
    }
  }

  async #write(chain: readonly string[], path: string, content: Buffer | string): Promise<string> {
    await this.#folders(chain);
    await writeFile(path, content);
    return pathToFileURL(path).href;
  }

  writeOriginal(messageId: string, source: Buffer): Promise<string> {
    const { shard, base } = this.#paths(messageId);
    return this.#write([this.root, shard], `${base}.eml`, source);
  }

  /** An attachment already in memory (a part of a nested or repaired mail): its URL and SHA-256. */
  async writeAttachment(messageId: string, fileName: string, content: Buffer): Promise<{ url: string; sha256: string }> {
    const { shard, base } = this.#paths(messageId);
    return { url: await this.#write([this.root, shard, base], join(base, fileName), content), sha256: createHash('sha256').update(content).digest('hex') };
  }

  /** Removes a mail's attachment files (the mail turned out to be a bounce or unusable; its .eml stays). */
  async removeAttachments(messageId: string): Promise<void> {
    const { base } = this.#paths(messageId);
    await rm(base, { recursive: true, force: true });
    this.#made.delete(base);
  }

  /**
   * Streams an attachment to disk as it is decoded: memory stays at most SMALL_FILE_BYTES, whatever
   * its size. A small one is written in one go when it ends (no stream or file handle per part).
   * Past `maxBytes` nothing more is written, the rest is only counted and hashed, and the partial
   * file is removed (the original .eml keeps the attachment).
   */
  async streamAttachment(messageId: string, fileName: string, content: Readable, maxBytes: number): Promise<StoredFile> {
    const { shard, base } = this.#paths(messageId);
    const path = join(base, fileName);
    const hash = createHash('sha256');
    let size = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let file: FileHandle | undefined;
    try {
      for await (const chunk of content as AsyncIterable<Buffer>) {
        hash.update(chunk);
        size += chunk.length;
        if (size > maxBytes) {
          pending = [];
          continue;
        }
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes < SMALL_FILE_BYTES) continue;
        if (!file) {
          await this.#folders([this.root, shard, base]);
          file = await open(path, 'w');
        }
        await file.writev(pending);
        pending = [];
        pendingBytes = 0;
      }
      if (file && size <= maxBytes) await file.writev(pending);
    } finally {
      await file?.close();
    }
    const sha256 = hash.digest('hex');
    if (size > maxBytes) {
      if (file) await rm(path, { force: true });
      return { url: undefined, size, sha256 };
    }
    if (!file) await this.#write([this.root, shard, base], path, Buffer.concat(pending, pendingBytes));
    return { url: pathToFileURL(path).href, size, sha256 };
  }
}

/** A file name safe on every file system; Persian and Arabic letters are kept. */
export function safeFileName(name: string | undefined, fallback: string): string {
  const cleaned = Array.from(name ?? '', (ch) => (ch.charCodeAt(0) < 32 || ch.charCodeAt(0) === 127 ? '_' : ch))
    .join('')
    .replace(/[/\\:*?"<>|]/g, '_')
    .replace(/^\.+/, '')
    .trim()
    .slice(-100);
  return cleaned || fallback;
}
