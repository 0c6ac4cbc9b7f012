import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { conversationMessages } from '../crm/conversations.ts';
import { customer360, customerSearch } from '../crm/customers.ts';
import { listSuggestions } from '../crm/suggestions.ts';
import { listTickets } from '../crm/ticket-list.ts';
import type { Database } from '../db/database.ts';
import { TicketQuery, ticketFilterOf } from '../server/crm-api.ts';
import { requireRole } from './auth.ts';
import { studioScope } from './http.ts';
import { STUDIO_ACCESS } from './roles.ts';

export interface StudioCustomersApiOptions {
  readonly db: Database;
  readonly now: () => Date;
  readonly defaultRegion: string | undefined;
}

const IdParams = z.object({ id: z.string().min(1) });

/** Customer search, the 360 view with its merge suggestions, transcripts and the ticket list (agents, managers, admins). */
export const studioCustomersApi: FastifyPluginAsync<StudioCustomersApiOptions> = async (plain, { db, now, defaultRegion }) => {
  const app = studioScope(plain);
  const customers = { preHandler: requireRole(...STUDIO_ACCESS.customers) };

  app.get(
    '/customers',
    {
      ...customers,
      schema: {
        summary: 'Search customers by name, phone number (any format) or email',
        querystring: z.object({ q: z.string().min(1, 'give ?q= a name, phone number or email'), limit: z.coerce.number().int().min(1).max(200).optional() }),
      },
    },
    async (request) => customerSearch(db, request.query.q, { defaultRegion, limit: request.query.limit }),
  );

  app.get(
    '/customers/:id',
    { ...customers, schema: { summary: "A customer's 360 view, with the pending merge suggestions that name them", params: IdParams } },
    async (request) => {
      const customer = await customer360(db, request.params.id, now());
      const suggestions = await listSuggestions(db, { customerId: customer.id, status: 'pending' });
      return { customer, suggestions };
    },
  );

  app.get(
    '/conversations/:id/messages',
    {
      ...customers,
      schema: {
        summary: "A conversation's transcript, oldest first",
        params: IdParams,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).optional(), after: z.string().optional() }),
      },
    },
    async (request) => ({ messages: await conversationMessages(db, request.params.id, request.query) }),
  );

  app.get(
    '/tickets',
    {
      preHandler: requireRole(...STUDIO_ACCESS.tickets),
      schema: { summary: 'Tickets, oldest first, by status, kind, category, assignee, age or text', querystring: TicketQuery },
    },
    async (request) => ({ tickets: await listTickets(db, ticketFilterOf(request.query), now()) }),
  );
};
