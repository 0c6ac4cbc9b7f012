import { uuidv7 } from 'uuidv7';

/** Time-ordered ids: rows sort by creation, and inbox events by arrival. */
export const newId = (): string => uuidv7();

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
