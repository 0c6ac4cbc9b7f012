import { UserError } from '../core/errors.ts';
import { LETTER_VARIANTS, foldForMatch } from '../core/text.ts';
import type { Database } from '../db/database.ts';
import { type Sql, decodeRows, escapeLike, queryRows, raw, sql } from '../db/sql.ts';

/**
 * The same folding as foldForMatch, in SQL both databases run (nested REPLACE): Arabic letter
 * variants to Persian, Persian and Arabic-Indic digits to ASCII, harakat and tatweel dropped,
 * ZWNJ as a space, then lower case. Messages keep their text as written; search folds both sides.
 */
function foldedColumn(column: string): Sql {
  const pairs: [string, string][] = [
    ...Object.entries(LETTER_VARIANTS),
    ...Array.from({ length: 10 }, (_, d): [string, string] => [String.fromCharCode(0x06f0 + d), String(d)]),
    ...Array.from({ length: 10 }, (_, d): [string, string] => [String.fromCharCode(0x0660 + d), String(d)]),
    ...Array.from({ length: 8 }, (_, i): [string, string] => [String.fromCharCode(0x064b + i), '']),
    ['\u0640', ''],
    ['\u200c', ' '],
  ];
  let expression = column;
  for (const [from, to] of pairs) expression = `REPLACE(${expression}, '${from}', '${to}')`;
  return raw(`LOWER(${expression})`);
}

export interface MessageHit {
  readonly messageId: string;
  readonly conversationId: string;
  readonly conversationRef: string | null;
  readonly customerId: string;
  readonly customerName: string | null;
  readonly channel: string;
  readonly direction: string;
  readonly authorKind: string;
  readonly isInternalNote: boolean;
  readonly text: string;
  readonly createdAt: Date;
}

/** Messages of every conversation whose text contains `query` (letter variants and digit systems folded), newest first. */
export async function searchMessages(
  db: Database,
  query: string,
  options: { customerId?: string; channel?: string; limit?: number } = {},
): Promise<MessageHit[]> {
  const folded = foldForMatch(query);
  if (!folded) throw new UserError('search: give some text to look for in messages');
  const filters = [
    options.customerId ? sql`AND v."customerId" = ${options.customerId}` : sql``,
    options.channel ? sql`AND m."channel" = ${options.channel}` : sql``,
  ];
  const rows = await queryRows(
    db.prisma,
    sql`SELECT m."id" AS "messageId", m."conversationId", v."ref" AS "conversationRef", v."customerId", c."name" AS "customerName",
          m."channel", m."direction", m."authorKind", m."isInternalNote", m."text", m."createdAt"
        FROM "Message" m JOIN "Conversation" v ON v."id" = m."conversationId" JOIN "Customer" c ON c."id" = v."customerId"
        WHERE m."text" IS NOT NULL AND ${foldedColumn('m."text"')} LIKE ${`%${escapeLike(folded)}%`} ESCAPE '\\' ${filters[0]} ${filters[1]}
        ORDER BY m."id" DESC LIMIT ${options.limit ?? 50}`,
  );
  return decodeRows<MessageHit>(db.dialect, rows, { createdAt: 'timestamp', isInternalNote: 'boolean' });
}
