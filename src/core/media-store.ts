import { isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The directory channels save downloaded media into (each under its own subdirectory). */
export const mediaStoreDir = (dataDir: string): string => resolve(dataDir, 'attachments');

/**
 * The local path of an attachment's `file:` URL when it lies inside the media store, else
 * undefined. Only files Parley saved itself are ever read back: a stored URL such as
 * file:///etc/passwd (from a forged or old webhook) is never opened.
 */
export function storedMediaPath(dataDir: string, url: string | undefined): string | undefined {
  if (!url?.startsWith('file:')) return undefined;
  let path: string;
  try {
    path = resolve(fileURLToPath(url));
  } catch {
    return undefined;
  }
  const inside = relative(mediaStoreDir(dataDir), path);
  return inside && !inside.startsWith('..') && !isAbsolute(inside) ? join(mediaStoreDir(dataDir), inside) : undefined;
}
