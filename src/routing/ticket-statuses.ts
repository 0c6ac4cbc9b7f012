/** The statuses a ticket moves through (in a module of its own: the command line's help names them without loading the routing code). */
export const TICKET_STATUSES = ['open', 'in_progress', 'waiting_for_customer', 'resolved', 'closed'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

/** A ticket still being worked on: what the Slack card, the 360 view, the churn score, segments, the contact policy and alerts count as open. */
export const OPEN_TICKET_STATUSES = ['open', 'in_progress', 'waiting_for_customer'] as const satisfies readonly TicketStatus[];
