import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { mediaStoreDir, storedMediaPath } from '../../src/core/media-store.ts';
import { safeFileName } from '../email/store.ts';

/**
 * Visitors' uploads, saved in the media store under webchat/, and signed links through which
 * the widget shows files of its transcript (uploads and agents' attachments): a link names a
 * file inside the media store and carries an HMAC of that name, so no other file can be asked for.
 */
export class WebchatFiles {
  constructor(
    private readonly dataDir: string,
    private readonly secret: string,
  ) {}

  async save(name: string | undefined, content: Buffer): Promise<{ fileUrl: string; name: string }> {
    const folder = join(mediaStoreDir(this.dataDir), 'webchat', randomBytes(12).toString('hex'));
    const fileName = safeFileName(name, 'file');
    await mkdir(folder, { recursive: true });
    const path = join(folder, fileName);
    await writeFile(path, content);
    return { fileUrl: pathToFileURL(path).href, name: fileName };
  }

  #sign(path: string): string {
    return createHmac('sha256', this.secret).update(`file\n${path}`).digest('base64url').slice(0, 32);
  }

  /** The widget's link to a stored file: /webchat/files/<sig>?p=<path in the media store>; undefined for other URLs. */
  link(fileUrl: string | undefined): string | undefined {
    const path = storedMediaPath(this.dataDir, fileUrl);
    if (!path) return fileUrl?.startsWith('https://') ? fileUrl : undefined;
    const inside = relative(mediaStoreDir(this.dataDir), path).split(sep).join('/');
    return `/webchat/files/${this.#sign(inside)}?p=${encodeURIComponent(inside)}`;
  }

  /** The local path a link names when its signature is right, else undefined. */
  resolve(signature: string, inside: string): string | undefined {
    const expected = Buffer.from(this.#sign(inside));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    return storedMediaPath(this.dataDir, pathToFileURL(join(mediaStoreDir(this.dataDir), inside)).href);
  }

  /** The file: URL of an upload the page refers to by its link (the page only ever holds links). */
  fileUrlOf(link: string): string | undefined {
    const match = /^\/webchat\/files\/([A-Za-z0-9_-]+)\?p=([^&]+)$/.exec(link);
    if (!match) return undefined;
    const path = this.resolve(match[1] as string, decodeURIComponent(match[2] as string));
    return path ? pathToFileURL(path).href : undefined;
  }
}
