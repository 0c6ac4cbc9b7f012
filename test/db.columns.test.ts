import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ColumnKind as Column } from '../src/db/bulk-insert.ts';
import { JOB_COLUMNS } from '../src/pipeline/jobs.ts';
import { MESSAGE_COLUMNS, OUTBOX_COLUMNS } from '../src/pipeline/outbound.ts';
import { dialects, freshDatabase } from './support/databases.ts';

type Field = { name: string; kind: string; type: string };
type DataModel = { models: Record<string, { fields: Field[] }> };

/** The Prisma type a raw-SQL column kind must map to. */
const prismaType = (column: Column): { kind: string; type: string } =>
  typeof column === 'object'
    ? { kind: 'enum', type: column.enum }
    : { kind: 'scalar', type: { text: 'String', json: 'Json', timestamp: 'DateTime', integer: 'Int', boolean: 'Boolean' }[column] };

const registries: [string, Readonly<Record<string, Column>>][] = [
  ['Message', MESSAGE_COLUMNS],
  ['OutboxItem', OUTBOX_COLUMNS],
  ['Job', JOB_COLUMNS],
];

describe.each(dialects)('raw SQL column lists against the Prisma models on %s', (dialect) => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  beforeAll(async () => {
    db = await freshDatabase(dialect);
  });
  afterAll(async () => {
    await db.dispose();
  });

  it.each(registries)('%s: every column is a field of the model, with the same type', (model, columns) => {
    const dataModel = (db.prisma as unknown as { _runtimeDataModel: DataModel })._runtimeDataModel;
    const fields = dataModel.models[model]?.fields ?? [];
    expect(fields.length).toBeGreaterThan(0);
    for (const [name, column] of Object.entries(columns)) {
      const field = fields.find((f) => f.name === name);
      expect({ model, name, field: field && { kind: field.kind, type: field.type } }).toEqual({ model, name, field: prismaType(column) });
    }
  });
});
