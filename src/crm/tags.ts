import { z } from 'zod';
import { NotFoundError, UserError } from '../core/errors.ts';
import type { Database } from '../db/database.ts';
import { recordAudit } from './audit.ts';

export type Taggable = 'customer' | 'conversation';

const TagsSchema = z.array(z.string()).nullable();
/** A tag: 1-64 characters, no spaces at either end, no comma (the CLI's separator). */
const TagSchema = z
  .string()
  .trim()
  .min(1, 'a tag cannot be empty')
  .max(64, 'a tag is at most 64 characters')
  .refine((t) => !t.includes(','), 'a tag cannot contain a comma');

export function parseTags(tags: readonly string[]): string[] {
  return tags.map((t, i) => {
    const parsed = TagSchema.safeParse(t);
    if (!parsed.success) throw new UserError(`tags[${i}] "${t}": ${parsed.error.issues[0]?.message}`);
    return parsed.data;
  });
}

async function read(db: Database, kind: Taggable, id: string): Promise<string[] | undefined> {
  const row =
    kind === 'customer'
      ? await db.prisma.customer.findUnique({ where: { id }, select: { tags: true } })
      : await db.prisma.conversation.findUnique({ where: { id }, select: { tags: true } });
  return row ? (TagsSchema.parse(row.tags) ?? []) : undefined;
}

export async function listTags(db: Database, kind: Taggable, id: string): Promise<string[]> {
  const tags = await read(db, kind, id);
  if (!tags) throw new NotFoundError(`${kind} ${id}`);
  return tags;
}

/** Adds and removes tags of a customer or conversation; returns the tags after. Audited. */
export async function changeTags(
  db: Database,
  kind: Taggable,
  id: string,
  change: { add?: readonly string[]; remove?: readonly string[] },
  actor: string,
): Promise<string[]> {
  const add = parseTags(change.add ?? []);
  const remove = new Set(parseTags(change.remove ?? []));
  return db.write(async (tx) => {
    const row =
      kind === 'customer'
        ? await tx.customer.findUnique({ where: { id }, select: { tags: true, mergedIntoId: true } })
        : await tx.conversation.findUnique({ where: { id }, select: { tags: true } });
    if (!row) throw new NotFoundError(`${kind} ${id}`);
    if ('mergedIntoId' in row && row.mergedIntoId) throw new UserError(`customer ${id} was merged into ${row.mergedIntoId}; tag that one`, 409);
    const tags = [...new Set([...(TagsSchema.parse(row.tags) ?? []), ...add])].filter((t) => !remove.has(t));
    if (kind === 'customer') await tx.customer.update({ where: { id }, data: { tags } });
    else await tx.conversation.update({ where: { id }, data: { tags } });
    await recordAudit(tx, { actor, action: `${kind}.tags`, entityType: kind, entityId: id, data: { add, remove: [...remove] } });
    return tags;
  });
}
