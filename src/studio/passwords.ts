import type { Algorithm } from '@node-rs/argon2';
import { UserError } from '../core/errors.ts';

/** NIST SP 800-63B: at least 8 characters; a length cap keeps hashing cheap to ask for. */
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 256;

export function checkPasswordRules(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new UserError(`the password is too short: at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > MAX_PASSWORD_LENGTH) throw new UserError(`the password is too long: at most ${MAX_PASSWORD_LENGTH} characters`);
}

/** The native hashing library, loaded on the first sign-in or new password rather than at start. */
const argon2 = () => import('@node-rs/argon2');

// The package's Algorithm is a const enum, which isolated modules cannot read: its Argon2id is 2.
const ARGON2ID = 2 as Algorithm.Argon2id;

/** argon2id with the library's defaults (OWASP's minimum or above); the PHC string carries salt and parameters. */
export async function hashPassword(password: string): Promise<string> {
  checkPasswordRules(password);
  return (await argon2()).hash(password, { algorithm: ARGON2ID });
}

export async function passwordMatches(passwordHash: string, password: string): Promise<boolean> {
  if (password.length > MAX_PASSWORD_LENGTH) return false;
  try {
    return await (await argon2()).verify(passwordHash, password);
  } catch {
    return false;
  }
}
