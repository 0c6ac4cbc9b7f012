import { newId } from '../core/ids.ts';
import type { Prisma as PrismaClient } from '../db/database.ts';

export interface AuditEntry {
  readonly actor: string;
  readonly action: string;
  readonly entityType: string;
  readonly entityId: string;
  readonly data: object;
  /** When it happened; the database's now by default. */
  readonly at?: Date;
}

/** Records who did what to which record, in the transaction that does it. */
export async function recordAudit(tx: PrismaClient, entry: AuditEntry): Promise<void> {
  await tx.auditLog.create({ data: { id: newId(), ...entry, data: entry.data as never } });
}
