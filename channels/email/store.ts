import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Files of received mail: `<root>/<ab>/<hash>.eml` for the original and `<root>/<ab>/<hash>/`
 * for its attachments, the hash taken from the Message-ID (a re-import writes the same paths).
 * Returned as file: URLs.
 */
export class MailFileStore {
  /** Folders known to exist: one mkdir per folder per process, not per mail. */
  readonly #made = new Set<string>();

  constructor(readonly root: string) {}

  #paths(messageId: string): { shard: string; base: string } {
    const hash = createHash('sha256').update(messageId).digest('hex').slice(0, 32);
    const shard = join(this.root, hash.slice(0, 2));
    return { shard, base: join(shard, hash) };
  }

  async #write(folder: string, path: string, content: Buffer | string): Promise<string> {
    if (!this.#made.has(folder)) {
      await mkdir(folder, { recursive: true });
      this.#made.add(folder);
    }
    await writeFile(path, content);
    return pathToFileURL(path).href;
  }

  writeOriginal(messageId: string, source: Buffer): Promise<string> {
    const { shard, base } = this.#paths(messageId);
    return this.#write(shard, `${base}.eml`, source);
  }

  writeAttachment(messageId: string, fileName: string, content: Buffer): Promise<string> {
    const { base } = this.#paths(messageId);
    return this.#write(base, join(base, fileName), content);
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
