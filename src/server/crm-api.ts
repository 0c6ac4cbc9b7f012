import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { parseDuration } from '../core/duration.ts';
import { NotFoundError } from '../core/errors.ts';
import { churnScore } from '../crm/churn.ts';
import { findConversation } from '../crm/conversations.ts';
import { setKeyCustomer } from '../crm/key-customers.ts';
import { listMerges, unmerge } from '../crm/merges.ts';
import { searchMessages } from '../crm/message-search.ts';
import { decideSuggestion, listSuggestions } from '../crm/suggestions.ts';
import { changeTags, listTags, type Taggable } from '../crm/tags.ts';
import { listTickets, type TicketFilter } from '../crm/ticket-list.ts';
import type { Database } from '../db/database.ts';
import { TicketKind, TicketStatus } from '../generated/sqlite/enums.ts';

export interface CrmApiOptions {
  readonly db: Database;
  readonly now: () => Date;
}

const limit = z.coerce.number().int().min(1).max(500).optional().describe('how many (1-500)');
const IdParams = z.object({ id: z.string().min(1) });
const ConversationParams = z.object({ id: z.string().min(1).describe('a conversation id or its short ref') });
const TagChange = z.object({ tags: z.array(z.string()).min(1, 'give at least one tag') });
/** "7d": a duration, a 400 naming the parameter otherwise. */
const age = (name: string) =>
  z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined) return undefined;
      try {
        return parseDuration(text);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `${name}: ${(error as Error).message}` });
        return z.NEVER;
      }
    })
    .describe('a duration: 30m, 24h, 7d');

/** The ticket queue's filters as a query string (the REST API's and the studio's). */
export const TicketQuery = z.object({
  status: z
    .string()
    .optional()
    .describe('one or more statuses, comma-separated (open,in_progress)')
    .transform((text, ctx) => {
      if (text === undefined) return undefined;
      const list = text.split(',').map((s) => s.trim());
      const bad = list.find((s) => !(s in TicketStatus));
      if (bad !== undefined) {
        ctx.addIssue({ code: 'custom', message: `"${bad}" is not a ticket status (${Object.values(TicketStatus).join(', ')})` });
        return z.NEVER;
      }
      return list as TicketStatus[];
    }),
  kind: z.enum(Object.values(TicketKind)).optional(),
  category: z.string().optional(),
  assignee: z.string().optional().describe('an agent id, or "none"'),
  customerId: z.string().optional(),
  olderThan: age('olderThan'),
  newerThan: age('newerThan'),
  q: z.string().optional().describe('text in the subject, or a ticket reference'),
  limit,
});

export function ticketFilterOf({ olderThan, newerThan, ...rest }: z.infer<typeof TicketQuery>): TicketFilter {
  return { ...rest, olderThanMs: olderThan, newerThanMs: newerThan };
}

/** Merges and merge suggestions, key customers, churn, the ticket queue, message search and tags (behind the bearer token). */
export const crmApi: FastifyPluginAsyncZod<CrmApiOptions> = async (app, { db, now }) => {
  const conversationId = async (idOrRef: string) => (await findConversation(db, idOrRef)).id;

  app.get(
    '/merges',
    {
      schema: {
        summary: 'Customer merges, newest first: who, when, what moved, the conflicts',
        querystring: z.object({ customerId: z.string().optional(), limit }),
      },
    },
    async (request) => ({ merges: await listMerges(db, request.query) }),
  );

  app.post(
    '/merges/:id/undo',
    { schema: { summary: 'Undo a merge: identities, conversations, tickets and attributes go back', params: IdParams } },
    async (request) => ({
      merge: await unmerge(db, request.params.id, 'api', now()),
    }),
  );

  app.get(
    '/merge-suggestions',
    {
      schema: {
        summary: 'Customers that look like one person (same email, or a phone given in a flow)',
        querystring: z.object({ status: z.enum(['pending', 'accepted', 'rejected']).default('pending'), customerId: z.string().optional(), limit }),
      },
    },
    async (request) => ({ suggestions: await listSuggestions(db, request.query) }),
  );

  app.post(
    '/merge-suggestions/:id/accept',
    { schema: { summary: 'Accept a merge suggestion: the newer record is merged into the older', params: IdParams } },
    async (request) => decideSuggestion(db, request.params.id, 'accept', 'api', now()),
  );

  app.post('/merge-suggestions/:id/reject', { schema: { summary: 'Reject a merge suggestion', params: IdParams } }, async (request) =>
    decideSuggestion(db, request.params.id, 'reject', 'api', now()),
  );

  app.put(
    '/customers/:id/key',
    {
      schema: {
        summary: 'Mark or unmark a key customer, with the reason',
        params: IdParams,
        body: z.object({ key: z.boolean(), reason: z.string().min(1).optional() }),
      },
    },
    async (request) => ({ key: await setKeyCustomer(db, request.params.id, request.body.key, request.body.reason, 'api') }),
  );

  app.get('/customers/:id/churn', { schema: { summary: "A customer's churn score and what made it", params: IdParams } }, async (request) => {
    const churn = await churnScore(db, request.params.id, now());
    if (!churn) throw new NotFoundError(`customer ${request.params.id}`);
    return { churn };
  });

  app.get(
    '/tickets',
    {
      schema: {
        summary: 'The ticket queue, oldest first: by status, kind, category, assignee, age or text',
        querystring: TicketQuery,
      },
    },
    async (request) => ({ tickets: await listTickets(db, ticketFilterOf(request.query), now()) }),
  );

  app.get(
    '/messages/search',
    {
      schema: {
        summary: 'Messages of all conversations containing the text (Persian/Arabic letter variants and digits folded)',
        querystring: z.object({
          q: z.string().min(1, 'give ?q= the text to look for'),
          customerId: z.string().optional(),
          channel: z.string().optional(),
          limit,
        }),
      },
    },
    async (request) => ({ messages: await searchMessages(db, request.query.q, request.query) }),
  );

  const tagRoutes = (kind: Taggable, path: string, params: typeof IdParams, idOf: (id: string) => Promise<string>) => {
    app.get(`${path}/tags`, { schema: { summary: `The tags of a ${kind}`, params } }, async (request) => ({
      tags: await listTags(db, kind, await idOf(request.params.id)),
    }));
    app.post(`${path}/tags`, { schema: { summary: `Add tags to a ${kind}`, params, body: TagChange } }, async (request) => ({
      tags: await changeTags(db, kind, await idOf(request.params.id), { add: request.body.tags }, 'api'),
    }));
    app.delete(
      `${path}/tags/:tag`,
      { schema: { summary: `Remove a tag from a ${kind}`, params: params.extend({ tag: z.string().min(1) }) } },
      async (request) => {
        const { id, tag } = request.params as { id: string; tag: string };
        return { tags: await changeTags(db, kind, await idOf(id), { remove: [tag] }, 'api') };
      },
    );
  };
  tagRoutes('customer', '/customers/:id', IdParams, async (id) => id);
  tagRoutes('conversation', '/conversations/:id', ConversationParams, conversationId);
};
