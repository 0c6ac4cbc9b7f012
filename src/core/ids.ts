import { UUID, V7Generator } from 'uuidv7';

/**
 * Random words for the id generator, drawn from crypto.getRandomValues 1,024 at a time: uuidv7's
 * default source draws 8 at a time, one call every two or three ids, which was 0.6% of the CPU
 * under load (about eight ids per inbound message).
 */
class BufferedRandom {
  readonly #words = new Uint32Array(1024);
  #next = this.#words.length;

  nextUint32(): number {
    if (this.#next === this.#words.length) {
      crypto.getRandomValues(this.#words);
      this.#next = 0;
    }
    return this.#words[this.#next++] as number;
  }
}

const generator = new V7Generator(new BufferedRandom());

/** Time-ordered ids: rows sort by creation, and inbox events by arrival. */
export const newId = (): string => generator.generate().toString();

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
