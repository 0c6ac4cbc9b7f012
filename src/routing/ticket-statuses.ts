/** The statuses a ticket moves through (in a module of its own: the command line's help names them without loading the routing code). */
export const TICKET_STATUSES = ['open', 'in_progress', 'waiting_for_customer', 'resolved', 'closed'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];
