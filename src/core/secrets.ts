import { timingSafeEqual } from 'node:crypto';

/** Compares a secret someone sent with the expected one in constant time (no timing oracle). */
export function secretMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
