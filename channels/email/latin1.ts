/**
 * The bytes of a mail as a latin1 string (one character per byte), made once per buffer: several
 * repairs scan the raw mail, and a 1 MB mail converted five times fills the heap.
 */
const cache = new WeakMap<Buffer, string>();

export function latin1Of(source: Buffer): string {
  let text = cache.get(source);
  if (text === undefined) {
    text = source.toString('latin1');
    cache.set(source, text);
  }
  return text;
}

/** Scans read a large mail in windows of this many bytes (overlapping): it is never one string, and each window is small enough for V8 to collect young. */
const WINDOW_BYTES = 64 * 1024;
/** Longer than any header or boundary line the scans look for. */
const OVERLAP_BYTES = 4096;

function* latin1Windows(source: Buffer): Generator<string> {
  if (source.length <= WINDOW_BYTES) {
    yield latin1Of(source);
    return;
  }
  for (let at = 0; at < source.length; at += WINDOW_BYTES - OVERLAP_BYTES) {
    yield source.toString('latin1', at, Math.min(source.length, at + WINDOW_BYTES));
    if (at + WINDOW_BYTES >= source.length) return;
  }
}

/**
 * Whether `pattern` matches the bytes read as latin1, window by window (a window may start
 * mid-line, so `^` can match there too: callers use it to decide whether to look closer).
 */
export function latin1Test(source: Buffer, pattern: RegExp): boolean {
  for (const text of latin1Windows(source)) {
    pattern.lastIndex = 0;
    if (pattern.test(text)) return true;
  }
  return false;
}

/** Every distinct value of capture group 1 or 2 of `pattern` (with the g flag) in the bytes read as latin1, window by window. */
export function latin1Captures(source: Buffer, pattern: RegExp): Set<string> {
  const found = new Set<string>();
  for (const text of latin1Windows(source)) for (const match of text.matchAll(pattern)) found.add((match[1] ?? match[2]) as string);
  return found;
}
