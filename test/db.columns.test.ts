import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ColumnKind as Column } from '../src/db/bulk-insert.ts';
import { RAW_SQL_COLUMNS } from '../src/db/columns.ts';
import type { ReadKind } from '../src/db/sql.ts';
import { dialects, freshDatabase } from './support/databases.ts';

type Field = { name: string; kind: string; type: string };
type DataModel = { models: Record<string, { fields: Field[] }> };

const SCALARS: Record<string, string> = { text: 'String', json: 'Json', timestamp: 'DateTime', integer: 'Int', boolean: 'Boolean' };

/** Whether a raw-SQL column kind fits the Prisma field: 'text' is read for strings and enums alike. */
const fits = (column: Column | ReadKind, field: Field): boolean =>
  typeof column === 'object'
    ? field.kind === 'enum' && field.type === column.enum
    : column === 'text'
      ? (field.kind === 'scalar' && field.type === 'String') || field.kind === 'enum'
      : field.kind === 'scalar' && field.type === SCALARS[column];

const registries = RAW_SQL_COLUMNS.map(([model, columns]) => [`${model} (${Object.keys(columns).length} columns)`, model, columns] as const);

describe.each(dialects)('raw SQL column lists against the Prisma models on %s', (dialect) => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  beforeAll(async () => {
    db = await freshDatabase(dialect);
  });
  afterAll(async () => {
    await db.dispose();
  });

  it.each(registries)('%s: every column is a field of the model, with the same type', (_name, model, columns) => {
    const dataModel = (db.prisma as unknown as { _runtimeDataModel: DataModel })._runtimeDataModel;
    const fields = dataModel.models[model]?.fields ?? [];
    expect(fields.length).toBeGreaterThan(0);
    for (const [name, column] of Object.entries(columns)) {
      const field = fields.find((f) => f.name === name);
      expect({ model, name, column, field: field && { kind: field.kind, type: field.type }, fits: field !== undefined && fits(column, field) }).toMatchObject({
        fits: true,
      });
    }
  });
});
