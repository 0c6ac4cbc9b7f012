import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { NotFoundError, UserError } from '../core/errors.ts';
import { conversationMessages, listConversations } from '../crm/conversations.ts';
import { customer360, mergeCustomers, searchCustomers } from '../crm/customers.ts';
import type { Database } from '../db/database.ts';
import type { FlowRegistry } from '../flows/registry.ts';
import { flowStats } from '../flows/stats.ts';
import { formatProblem } from '../flows/validate.ts';
import type { EventBus } from '../pipeline/events.ts';
import type { Desk } from '../desk/desk.ts';
import { deskApi } from './desk-api.ts';
import { parseDuration } from '../core/duration.ts';
import { buildReport, formatReport } from '../routing/reports.ts';
import type { Routing } from '../routing/routing.ts';
import { type TicketDeps, changeTicketStatus, TICKET_STATUSES } from '../routing/tickets.ts';
import { parseInput } from './errors.ts';

export interface ApiOptions {
  readonly db: Database;
  readonly flows: FlowRegistry;
  readonly events: EventBus;
  /** Wakes the job runner after an API call queued work. */
  readonly onJobsQueued: () => void;
  readonly token: string | undefined;
  readonly defaultRegion: string | undefined;
  /** Agent operations (resolve, assign, hand back, reply, canned responses); absent: not served. */
  readonly desk?: Desk;
  /** Routing, tickets and reports (absent in servers built without them). */
  readonly routing?: Routing;
  readonly tickets?: TicketDeps;
  readonly now?: () => Date;
}

const ConversationStatusSchema = z.enum(['bot', 'waiting_for_agent', 'assigned', 'waiting_for_customer', 'resolved']);
const limit = z.coerce.number().int().min(1).max(500).optional();

function tokenMatches(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** REST API under /api/v1, behind a bearer token. */
export const api: FastifyPluginAsync<ApiOptions> = async (
  app,
  { db, token, defaultRegion, flows, events, onJobsQueued, desk, routing, tickets, now = () => new Date() },
) => {
  app.addHook('onRequest', async (request) => {
    if (!token) throw new UserError('the API is off: set PARLEY_API_TOKEN to enable it', 503);
    const header = request.headers.authorization ?? '';
    const given = /^Bearer\s+(.+)$/i.exec(header)?.[1];
    if (!given) throw new UserError('missing bearer token: send "Authorization: Bearer <PARLEY_API_TOKEN>"', 401);
    if (!tokenMatches(given, token)) throw new UserError('the bearer token is not valid', 401);
  });

  app.get('/customers', async (request) => {
    const query = parseInput(z.object({ q: z.string().min(1, 'give ?q= a name, phone number or email'), limit }), request.query, 'query');
    return { customers: await searchCustomers(db, query.q, { defaultRegion, limit: query.limit }) };
  });

  app.get('/customers/:id', async (request) => {
    const { id } = parseInput(z.object({ id: z.string().min(1) }), request.params, 'path');
    return { customer: await customer360(db, id) };
  });

  app.post('/customers/:id/merge', async (request) => {
    const { id } = parseInput(z.object({ id: z.string().min(1) }), request.params, 'path');
    const body = parseInput(z.object({ mergeId: z.string().min(1, 'mergeId: the customer to fold into this one') }), request.body ?? {}, 'body');
    return { merge: await mergeCustomers(db, id, body.mergeId, 'api') };
  });

  app.get('/conversations', async (request) => {
    const query = parseInput(
      z.object({
        status: ConversationStatusSchema.optional(),
        channel: z.string().optional(),
        customerId: z.string().optional(),
        limit,
        after: z.string().optional(),
      }),
      request.query,
      'query',
    );
    return { conversations: await listConversations(db, query) };
  });

  app.get('/flows', async () => ({
    flows: flows.all().map((f) => ({ id: f.id, name: f.name, version: f.version, locales: f.locales, triggers: f.triggers, steps: f.steps.length })),
    problems: flows.problems.map(formatProblem),
    refused: flows.refused,
  }));

  app.get('/flows/:id/stats', async (request) => {
    const { id } = parseInput(z.object({ id: z.string().min(1) }), request.params, 'path');
    const query = parseInput(z.object({ since: z.coerce.date().optional() }), request.query, 'query');
    const flow = flows.get(id);
    if (!flow && (await db.prisma.flowSession.count({ where: { flowId: id } })) === 0) throw new NotFoundError(`flow ${id}`);
    return { stats: await flowStats(db, id, flow, query.since) };
  });

  app.post('/conversations/:id/flows', async (request, reply) => {
    const { id } = parseInput(z.object({ id: z.string().min(1) }), request.params, 'path');
    const body = parseInput(z.object({ flowId: z.string().min(1, 'flowId: the flow to start') }), request.body ?? {}, 'body');
    if (!flows.get(body.flowId))
      throw new UserError(
        `no flow "${body.flowId}" is loaded (flows: ${
          flows
            .all()
            .map((f) => f.id)
            .join(', ') || 'none'
        })`,
        422,
      );
    await db.write(async (tx) => {
      const conversation = await tx.conversation.findUnique({ where: { id }, select: { customerId: true } });
      if (!conversation) throw new NotFoundError(`conversation ${id}`);
      await events.emit(tx, [{ type: 'flow.start_requested', conversationId: id, customerId: conversation.customerId, flowId: body.flowId, by: 'api' }]);
    });
    onJobsQueued();
    return reply.code(202).send({ started: { conversationId: id, flowId: body.flowId } });
  });

  app.get('/conversations/:id/messages', async (request) => {
    const { id } = parseInput(z.object({ id: z.string().min(1) }), request.params, 'path');
    const query = parseInput(z.object({ limit, after: z.string().optional() }), request.query, 'query');
    return { messages: await conversationMessages(db, id, query) };
  });

  if (desk) await app.register(deskApi, { db, desk });
  app.get('/reports', async (request, reply) => {
    const query = parseInput(z.object({ since: z.string().default('30d'), format: z.enum(['json', 'csv', 'table']).default('json') }), request.query, 'query');
    let sinceMs: number;
    try {
      sinceMs = parseDuration(query.since);
    } catch (error) {
      throw new UserError(`query.since: ${(error as Error).message}`);
    }
    const until = now();
    const report = await buildReport(db, new Date(until.getTime() - sinceMs), until);
    if (query.format === 'json') return { report };
    return reply.type(query.format === 'csv' ? 'text/csv; charset=utf-8' : 'text/plain; charset=utf-8').send(formatReport(report, query.format));
  });

  app.post('/tickets/:ref/status', async (request) => {
    if (!tickets) throw new UserError('tickets are not available in this server', 503);
    const { ref } = parseInput(z.object({ ref: z.string().min(1) }), request.params, 'path');
    const body = parseInput(z.object({ status: z.enum(TICKET_STATUSES), rootCause: z.string().optional() }), request.body ?? {}, 'body');
    return { ticket: await changeTicketStatus(tickets, ref, { ...body, by: 'api' }, now()) };
  });

  app.post('/agents/:id/availability', async (request) => {
    if (!routing) throw new UserError('routing is not available in this server', 503);
    const { id } = parseInput(z.object({ id: z.string().min(1) }), request.params, 'path');
    const body = parseInput(z.object({ availability: z.enum(['available', 'away']) }), request.body ?? {}, 'body');
    await routing.setAvailability(id, body.availability, 'api');
    return { agent: { id, availability: body.availability } };
  });
};
