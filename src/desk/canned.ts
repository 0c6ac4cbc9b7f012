import { UserError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { Database } from '../db/database.ts';
import { AgentFacingError } from '../agent-text/agent-error.ts';

/**
 * Canned responses: stored answers agents send with one command. Placeholders are written
 * `{{customer.first_name}}` or with a fallback for a missing value, `{{customer.name|there}}`.
 */
export const PLACEHOLDERS = ['customer.name', 'customer.first_name', 'agent.name', 'agent.first_name', 'conversation.ref'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type PlaceholderValues = Partial<Record<Placeholder, string | null | undefined>>;

const PLACEHOLDER = /\{\{\s*([^}|]+?)\s*(?:\|([^}]*))?\}\}/g;
const NAME = /^[\p{L}\p{N}_-]{1,64}$/u;

/** Throws a UserError naming each unknown placeholder. */
export function checkPlaceholders(text: string): void {
  const unknown = [...text.matchAll(PLACEHOLDER)].map((m) => m[1] as string).filter((p) => !(PLACEHOLDERS as readonly string[]).includes(p));
  if (unknown.length > 0) {
    throw new UserError(
      `unknown placeholder${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `{{${u}}}`).join(', ')}: use ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`,
    );
  }
}

/** Fills the placeholders; a missing value takes the fallback, else the placeholder is dropped. */
export function fillPlaceholders(text: string, values: PlaceholderValues): string {
  return text
    .replace(PLACEHOLDER, (_all, name: string, fallback: string | undefined) => values[name as Placeholder]?.trim() || fallback?.trim() || '')
    .replace(/ {2,}/g, ' ')
    .replace(/ ([,.!?،؟])/g, '$1');
}

export const firstName = (name: string | null | undefined): string | undefined => name?.trim().split(/\s+/)[0];

function checkName(name: string): void {
  if (!NAME.test(name)) throw new UserError(`canned response name "${name}" is not valid: use letters, digits, - and _ (at most 64)`);
}

export async function listCanned(db: Database) {
  return db.prisma.cannedResponse.findMany({ orderBy: { name: 'asc' } });
}

export async function getCanned(db: Database, name: string) {
  const found = await db.prisma.cannedResponse.findUnique({ where: { name } });
  if (!found) throw new AgentFacingError('error.canned_not_found', { name }, 404);
  return found;
}

/** Creates or replaces the canned response `name`. */
export async function saveCanned(db: Database, name: string, text: string) {
  checkName(name);
  if (!text.trim()) throw new UserError(`canned response "${name}" needs a text`);
  checkPlaceholders(text);
  return db.run((client) => client.cannedResponse.upsert({ where: { name }, create: { id: newId(), name, text }, update: { text } }));
}

export async function deleteCanned(db: Database, name: string): Promise<void> {
  const { count } = await db.run((client) => client.cannedResponse.deleteMany({ where: { name } }));
  if (count === 0) throw new AgentFacingError('error.canned_not_found', { name }, 404);
}
