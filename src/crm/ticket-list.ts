import type { Database } from '../db/database.ts';
import type { Prisma } from '../generated/sqlite/client.ts';
import type { TicketKind, TicketStatus } from '../generated/sqlite/enums.ts';

export interface TicketFilter {
  readonly status?: readonly TicketStatus[];
  readonly kind?: TicketKind;
  readonly category?: string;
  /** An agent id, or "none" for tickets whose conversation nobody holds. */
  readonly assignee?: string;
  readonly customerId?: string;
  /** Only tickets opened at least this long ago (ms), e.g. the stale ones. */
  readonly olderThanMs?: number;
  /** Only tickets opened at most this long ago (ms). */
  readonly newerThanMs?: number;
  /** Text in the subject, or the ticket's reference. */
  readonly q?: string;
  readonly limit?: number;
}

export interface TicketRow {
  readonly id: string;
  readonly ref: string;
  readonly kind: string;
  readonly category: string | null;
  readonly status: string;
  readonly priority: string;
  readonly subject: string;
  readonly createdAt: Date;
  /** Whole minutes since the ticket was opened. */
  readonly ageMinutes: number;
  readonly customer: { readonly id: string; readonly name: string | null; readonly isKey: boolean };
  readonly conversation: { readonly id: string; readonly ref: string | null } | null;
  readonly assignee: { readonly id: string; readonly name: string } | null;
}

/** Tickets matching the filter, oldest first (the queue's order: who waited longest). */
export async function listTickets(db: Database, filter: TicketFilter, now = new Date()): Promise<TicketRow[]> {
  const createdAt: Prisma.DateTimeFilter = {};
  if (filter.olderThanMs !== undefined) createdAt.lte = new Date(now.getTime() - filter.olderThanMs);
  if (filter.newerThanMs !== undefined) createdAt.gte = new Date(now.getTime() - filter.newerThanMs);
  const q = filter.q?.trim();
  const where: Prisma.TicketWhereInput = {
    ...(filter.status?.length ? { status: { in: [...filter.status] } } : {}),
    kind: filter.kind,
    category: filter.category,
    customerId: filter.customerId,
    ...(Object.keys(createdAt).length ? { createdAt } : {}),
    ...(filter.assignee === 'none'
      ? { OR: [{ conversationId: null }, { conversation: { assigneeId: null } }] }
      : filter.assignee
        ? { conversation: { assigneeId: filter.assignee } }
        : {}),
    ...(q ? { AND: [{ OR: [{ ref: q.toUpperCase() }, { subject: { contains: q } }] }] } : {}),
  };
  const tickets = await db.prisma.ticket.findMany({
    where,
    orderBy: { createdAt: 'asc' },
    take: filter.limit ?? 50,
    include: {
      customer: { select: { id: true, name: true, isKey: true } },
      conversation: { select: { id: true, ref: true, assignee: { select: { id: true, name: true } } } },
    },
  });
  return tickets.map((t) => ({
    id: t.id,
    ref: t.ref,
    kind: t.kind,
    category: t.category,
    status: t.status,
    priority: t.priority,
    subject: t.subject,
    createdAt: t.createdAt,
    ageMinutes: Math.max(0, Math.floor((now.getTime() - t.createdAt.getTime()) / 60_000)),
    customer: t.customer,
    conversation: t.conversation ? { id: t.conversation.id, ref: t.conversation.ref } : null,
    assignee: t.conversation?.assignee ?? null,
  }));
}
