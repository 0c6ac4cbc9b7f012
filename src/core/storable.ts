import { storableText } from './text.ts';

/**
 * A JSON-like value made storable the same way on SQLite and PostgreSQL: every string (and
 * object key), however deep, cleaned by storableText. What cannot be cleaned without losing
 * the value's meaning (too deep, too big) is refused with a reason naming where it is.
 */
export type Storable<T> = { readonly ok: true; readonly value: T; readonly cleaned: readonly string[] } | { readonly ok: false; readonly reason: string };

export interface StorableLimits {
  /** Nesting depth of objects and arrays (a deeper value would overflow the recursion). */
  readonly maxDepth: number;
  /** Total length of every string and key in the value, in UTF-16 code units. */
  readonly maxChars: number;
}

class Refusal extends Error {}

export function toStorable<T>(value: T, limits: StorableLimits): Storable<T> {
  const cleaned: string[] = [];
  let chars = 0;
  const text = (s: string, path: string): string => {
    chars += s.length;
    if (chars > limits.maxChars) throw new Refusal(`${path || '(message)'}: the message is over ${limits.maxChars} characters in all`);
    const clean = storableText(s);
    if (clean !== s) cleaned.push(path || '(message)');
    return clean;
  };
  const walk = (v: unknown, path: string, depth: number): unknown => {
    if (typeof v === 'string') return text(v, path);
    if (v === null || typeof v !== 'object') return v;
    if (depth >= limits.maxDepth) throw new Refusal(`${path}: nested deeper than ${limits.maxDepth} levels`);
    const at = (key: string) => (path ? `${path}.${key}` : key);
    if (Array.isArray(v)) return v.map((item, i) => walk(item, at(String(i)), depth + 1));
    if (Object.getPrototypeOf(v) !== Object.prototype && Object.getPrototypeOf(v) !== null) return v;
    return Object.fromEntries(Object.entries(v).map(([key, item]) => [text(key, at(key)), walk(item, at(key), depth + 1)]));
  };
  try {
    return { ok: true, value: walk(value, '', 0) as T, cleaned };
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, reason: error.message };
    throw error;
  }
}
