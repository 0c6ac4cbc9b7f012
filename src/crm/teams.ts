import { newId } from '../core/ids.ts';
import type { Prisma as PrismaClient } from '../db/database.ts';
import type { Team } from '../generated/sqlite/client.ts';

/** The team of that name; created the first time anything (a flow, a transfer, config) names it. */
export function teamNamed(tx: PrismaClient, name: string): Promise<Team> {
  return tx.team.upsert({ where: { name }, create: { id: newId(), name }, update: {} });
}
