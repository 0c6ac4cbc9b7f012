import { UUID, uuidv7 } from 'uuidv7';

/** Time-ordered ids: rows sort by creation, and inbox events by arrival. */
export const newId = (): string => uuidv7();

/**
 * A time-ordered id for another moment than now: a row made late for something that happened
 * earlier (a session timer that became due) sorts where it would have, had it been made then.
 */
export function newIdAt(at: Date): string {
  const [a, b, c] = crypto.getRandomValues(new Uint32Array(3)) as unknown as [number, number, number];
  return UUID.fromFieldsV7(Math.max(0, at.getTime()), a & 0xfff, b & 0x3fffffff, c).toString();
}

// Crockford base32 without I, L, O, U: unambiguous when read aloud or retyped.
const REF_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A short conversation reference customers can quote (8 characters, 40 random bits). A
 * collision fails its batch's unique constraint, and the retried batch draws a new one.
 */
export function newRef(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => REF_ALPHABET[b & 31]).join('');
}
