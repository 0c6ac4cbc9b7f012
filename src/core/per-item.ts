import type { z } from 'zod';
import { UserError } from './errors.ts';

/**
 * Item-by-item handling of a provider body that carries several items (messages, statuses):
 * one malformed or refused item is set aside with its reason, never the whole body.
 */

export interface RefusedItem {
  /** Where the item is in the body, e.g. "entry.0.changes.0.value.messages.1". */
  readonly at: string;
  readonly reason: string;
}

/** Each item parsed on its own: the valid ones, and the others with every problem named. */
export function parseEach<T extends z.ZodType>(schema: T, items: readonly unknown[], at: string): { valid: z.output<T>[]; refused: RefusedItem[] } {
  const valid: z.output<T>[] = [];
  const refused: RefusedItem[] = [];
  items.forEach((item, index) => {
    const parsed = schema.safeParse(item);
    if (parsed.success) valid.push(parsed.data);
    else
      refused.push({
        at: `${at}.${index}`,
        reason: parsed.error.issues.map((i) => `${i.path.length ? i.path.map(String).join('.') : '(item)'}: ${i.message}`).join('; '),
      });
  });
  return { valid, refused };
}

/**
 * Runs every item's task to its end. A task that fails with a UserError (the item itself is
 * wrong: retrying cannot help) is refused alone; any other failure (the database, the network)
 * is thrown once all have settled, so the provider retries the body and the items already
 * stored are recognised as duplicates.
 */
export async function settleEach<T>(items: readonly T[], task: (item: T) => Promise<void>, at: (item: T) => string): Promise<RefusedItem[]> {
  const results = await Promise.allSettled(items.map(task));
  const refused: RefusedItem[] = [];
  let failure: unknown;
  results.forEach((result, index) => {
    if (result.status === 'fulfilled') return;
    if (result.reason instanceof UserError) refused.push({ at: at(items[index] as T), reason: result.reason.message });
    else failure ??= result.reason;
  });
  if (failure !== undefined) throw failure;
  return refused;
}
