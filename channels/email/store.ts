import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Files of received mail: the original .eml and its attachments, one folder per Message-ID
 * (a re-import writes the same paths). Returned as file: URLs.
 */
export class MailFileStore {
  constructor(readonly root: string) {}

  folderOf(messageId: string): string {
    const hash = createHash('sha256').update(messageId).digest('hex').slice(0, 32);
    return join(this.root, hash.slice(0, 2), hash);
  }

  async write(messageId: string, fileName: string, content: Buffer | string): Promise<string> {
    const folder = this.folderOf(messageId);
    await mkdir(folder, { recursive: true });
    const path = join(folder, fileName);
    await writeFile(path, content);
    return pathToFileURL(path).href;
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
