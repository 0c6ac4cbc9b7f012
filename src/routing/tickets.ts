import { NotFoundError, UserError } from '../core/errors.ts';
import { recordAudit } from '../crm/audit.ts';
import type { Database } from '../db/database.ts';
import type { EventBus } from '../pipeline/events.ts';
import { enqueueToCustomer } from '../pipeline/outbound.ts';
import type { RoutingConfig } from './config.ts';
import { fill, pickText, TICKET_STATUS } from './texts.ts';
import { TICKET_STATUSES, type TicketStatus } from './ticket-statuses.ts';

export { TICKET_STATUSES, type TicketStatus };

const NEXT: Record<TicketStatus, readonly TicketStatus[]> = {
  open: ['in_progress', 'waiting_for_customer', 'resolved', 'closed'],
  in_progress: ['waiting_for_customer', 'resolved', 'closed'],
  waiting_for_customer: ['in_progress', 'resolved', 'closed'],
  resolved: ['in_progress', 'closed'],
  closed: [],
};

export interface TicketChange {
  readonly status: TicketStatus;
  /** Required when closing a complaint (one of tickets.root_causes when that list is set). */
  readonly rootCause?: string;
  /** "agent:<id>", "api", "cli". */
  readonly by: string;
}

export interface TicketDeps {
  readonly db: Database;
  readonly events: EventBus;
  readonly config: RoutingConfig;
  readonly defaultLocale: string;
  readonly onOutboundQueued?: () => void;
}

/** Moves a ticket by its id or reference; tells the customer on their channel; closing emits ticket.closed. */
export async function changeTicketStatus(deps: TicketDeps, idOrRef: string, change: TicketChange, now = new Date()) {
  const { db, config } = deps;
  let told = false;
  const ticket = await db.write(async (tx) => {
    const ticket = await tx.ticket.findFirst({
      where: { OR: [{ id: idOrRef }, { ref: idOrRef.toUpperCase() }] },
      include: { customer: true, conversation: { include: { identity: true } } },
    });
    if (!ticket) throw new NotFoundError(`ticket ${idOrRef}`);
    const from = ticket.status as TicketStatus;
    if (from === change.status) return ticket;
    if (!NEXT[from].includes(change.status))
      throw new UserError(`ticket ${ticket.ref} is ${from}; it can move to ${NEXT[from].join(', ') || 'nothing (closed is final)'}, not ${change.status}`, 409);
    const rootCause = change.rootCause?.trim() || ticket.rootCause || undefined;
    if (change.status === 'closed' && ticket.kind === 'complaint') {
      if (!rootCause)
        throw new UserError(
          `ticket ${ticket.ref} is a complaint: give a root cause to close it${config.tickets.root_causes ? ` (one of ${config.tickets.root_causes.join(', ')})` : ''}`,
        );
      if (config.tickets.root_causes && !config.tickets.root_causes.includes(rootCause))
        throw new UserError(`root cause "${rootCause}" is not one of ${config.tickets.root_causes.join(', ')}`);
    }
    const updated = await tx.ticket.update({
      where: { id: ticket.id },
      data: { status: change.status, rootCause: rootCause ?? null, updatedAt: now, ...(change.status === 'closed' ? { closedAt: now } : {}) },
    });
    await recordAudit(tx, {
      at: now,
      actor: change.by,
      action: 'ticket.status',
      entityType: 'ticket',
      entityId: ticket.id,
      data: { from, to: change.status, rootCause: rootCause ?? null },
    });
    const conversation = ticket.conversation;
    if (conversation && config.tickets.notify_customer.includes(change.status)) {
      const locale = ticket.customer.locale ?? deps.defaultLocale;
      const template = config.tickets.messages[change.status] ?? TICKET_STATUS[change.status];
      if (template) {
        const text = fill(pickText(template, locale), { ref: ticket.ref, subject: ticket.subject });
        await enqueueToCustomer(tx, db.dialect, conversation, { text, buttons: [], attachments: [] }, 'system', now);
        told = true;
      }
    }
    if (change.status === 'closed')
      await deps.events.emit(tx, [{ type: 'ticket.closed', ticketId: ticket.id, customerId: ticket.customerId, conversationId: ticket.conversationId }], now);
    return { ...ticket, ...updated };
  });
  if (told) deps.onOutboundQueued?.();
  return { id: ticket.id, ref: ticket.ref, kind: ticket.kind, status: ticket.status, rootCause: ticket.rootCause, closedAt: ticket.closedAt };
}
