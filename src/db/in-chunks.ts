/**
 * Prisma refuses a statement with more bound values than the database allows (P2029; 999 on
 * SQLite) where it cannot split the list itself (groupBy, count): a query over an unbounded id
 * list runs per chunk.
 */
export const ID_CHUNK = 500;

/** `read` over `ids` a chunk at a time, the results concatenated. */
export async function inChunks<T>(ids: readonly string[], read: (part: string[]) => Promise<T[]>, size = ID_CHUNK): Promise<T[]> {
  const out: T[] = [];
  for (let at = 0; at < ids.length; at += size) out.push(...(await read(ids.slice(at, at + size))));
  return out;
}
