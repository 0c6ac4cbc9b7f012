import { NotFoundError, UserError } from '../core/errors.ts';
import type { Database, Prisma as PrismaClient } from '../db/database.ts';
import { recordAudit } from './audit.ts';

export interface KeyChange {
  readonly customerId: string;
  readonly isKey: boolean;
  readonly keyReason: string;
  readonly keySource: 'manual' | 'rule';
}

/**
 * Marks or unmarks a customer as key by hand (CLI, API, a flow step), in `tx`. A manual
 * setting wins over the routing file's rules: their daily run leaves it alone.
 * `actor`: "cli", "api", "flow", "agent:<id>".
 */
export async function setKeyCustomerIn(tx: PrismaClient, customerId: string, isKey: boolean, reason: string, actor: string): Promise<KeyChange> {
  const customer = await tx.customer.findUnique({ where: { id: customerId }, select: { id: true, mergedIntoId: true, isKey: true } });
  if (!customer) throw new NotFoundError(`customer ${customerId}`);
  if (customer.mergedIntoId) throw new UserError(`customer ${customerId} was merged into ${customer.mergedIntoId}; set it there`, 409);
  const keyReason = `manual: ${reason}`;
  await tx.customer.update({ where: { id: customerId }, data: { isKey, keyReason, keySource: 'manual' } });
  await recordAudit(tx, { actor, action: isKey ? 'customer.key_set' : 'customer.key_unset', entityType: 'customer', entityId: customerId, data: { reason } });
  return { customerId, isKey, keyReason, keySource: 'manual' };
}

export function setKeyCustomer(db: Database, customerId: string, isKey: boolean, reason: string | undefined, actor: string): Promise<KeyChange> {
  return db.write((tx) => setKeyCustomerIn(tx, customerId, isKey, reason?.trim() || `set by ${actor}`, actor));
}
