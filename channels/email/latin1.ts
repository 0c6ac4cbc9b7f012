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
