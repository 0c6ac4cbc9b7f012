import type { TemplateRegistry } from '../contact/templates.ts';
import type { AgentText } from '../agent-text/agent-text.ts';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError, UserError } from '../core/errors.ts';
import { conversationMessages, listConversations } from '../crm/conversations.ts';
import { customer360, customerSearch } from '../crm/customers.ts';
import { mergeCustomers } from '../crm/merges.ts';
import type { Database } from '../db/database.ts';
import type { FlowRegistry } from '../flows/registry.ts';
import { flowStats } from '../flows/stats.ts';
import { formatProblem } from '../flows/validate.ts';
import type { EventBus } from '../pipeline/events.ts';
import type { Desk } from '../desk/desk.ts';
import { campaignsApi } from './campaigns-api.ts';
import { crmApi } from './crm-api.ts';
import { deskApi } from './desk-api.ts';
import { buildReport, formatReport } from '../routing/reports.ts';
import type { Routing } from '../routing/routing.ts';
import { type TicketDeps, changeTicketStatus, TICKET_STATUSES } from '../routing/tickets.ts';
import { formatValidationErrors, sinceOf } from './errors.ts';
import { version } from '../version.ts';
import { secretMatches } from '../core/secrets.ts';
import { checkCsrf, studioSessionOf } from '../studio/auth.ts';
import { mayUse, type StudioArea } from '../studio/roles.ts';
import type { OpenSession } from '../studio/sessions.ts';
import { ConversationStatus } from '../generated/sqlite/enums.ts';

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
  /** The reader's language, time zone and calendar for the report's table format. */
  readonly agentText: AgentText;
  /** The WhatsApp templates file (PARLEY_TEMPLATES_FILE); absent: none configured. */
  readonly templates?: TemplateRegistry;
  readonly now?: () => Date;
}

const limit = z.coerce.number().int().min(1).max(500).optional().describe('how many (1-500)');
const since = z.string().describe('a duration back from now (30m, 7d, 2w) or an ISO date (2026-01-31)');
const IdParams = z.object({ id: z.string().min(1) });

/**
 * REST API under /api/v1. Routes are declared once with their zod schemas: the schemas check
 * requests (a mismatch is a 400 naming the field) and describe the API in the OpenAPI
 * document at /api/v1/openapi.json, rendered at /api/v1/docs. Those two and the index at
 * /api/v1 are public; every other route needs the bearer token.
 */
export const api: FastifyPluginAsync<ApiOptions> = async (app, options) => {
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setSchemaErrorFormatter(formatValidationErrors);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Parley REST API', version, description: 'Customers, conversations, flows, the agent desk, tickets and reports.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'PARLEY_API_TOKEN' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/', { schema: { summary: 'This index: every route of the API', security: [] } }, async () => apiIndex(app));
  // The options carry this plugin's prefix; the child inherits it already.
  await app.register(protectedApi, { ...options, prefix: '' });
};

/** The index GET /api/v1 answers: where the description is, how to authenticate, every route. */
function apiIndex(app: FastifyInstance) {
  const document = app.swagger() as { paths?: Record<string, Record<string, { summary?: string }>> };
  return {
    name: 'Parley REST API',
    openapi: `${app.prefix}/openapi.json`,
    reference: `${app.prefix}/docs`,
    authentication: 'Authorization: Bearer <PARLEY_API_TOKEN>',
    routes: Object.entries(document.paths ?? {}).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ method: method.toUpperCase(), path, summary: operation.summary })),
    ),
  };
}

/** Which part of the studio's role matrix a read of the API belongs to, by its first path segment; the rest is an admin's. */
const READ_AREAS: Record<string, StudioArea> = {
  customers: 'customers',
  conversations: 'customers',
  messages: 'customers',
  'merge-suggestions': 'customers',
  tickets: 'tickets',
  reports: 'reports',
  flows: 'flows',
  segments: 'campaigns',
  campaigns: 'campaigns',
};

/**
 * A studio session may read what its role may read in the studio; changes through the API
 * are an admin's (the studio's own routes let the other roles make theirs), with the CSRF token.
 */
function allowStudioSession(request: FastifyRequest, session: OpenSession): void {
  const segment = /^\/api\/v1\/([^/?]+)/.exec(request.url)?.[1] ?? '';
  const area: StudioArea = request.method === 'GET' ? (READ_AREAS[segment] ?? 'users') : 'users';
  if (!mayUse(session.user.role, area))
    throw new UserError(`a ${session.user.role} may not ${request.method} ${request.url.split('?')[0]} through the API`, 403);
  checkCsrf(request, session);
  request.studioSession = session;
  request.studioUser = session.user;
}

const protectedApi: FastifyPluginAsync<ApiOptions> = async (
  plain,
  { db, token, defaultRegion, flows, events, onJobsQueued, desk, routing, tickets, agentText, templates, now = () => new Date() },
) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (header === undefined) {
      // A studio user's browser calls the API with its session cookie instead of the token.
      const session = await studioSessionOf(request);
      if (session) return allowStudioSession(request, session);
    }
    if (!token) throw new UserError('the API is off: set PARLEY_API_TOKEN to enable it (or log in to the studio)', 503);
    const given = /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1];
    if (!given) throw new UserError('missing bearer token: send "Authorization: Bearer <PARLEY_API_TOKEN>" (or log in to the studio)', 401);
    if (!secretMatches(given, token)) throw new UserError('the bearer token is not valid', 401);
  });

  app.get(
    '/customers',
    {
      schema: {
        summary: 'Search customers by name, phone number (any format) or email',
        querystring: z.object({ q: z.string().min(1, 'give ?q= a name, phone number or email'), limit }),
      },
    },
    async (request) => customerSearch(db, request.query.q, { defaultRegion, limit: request.query.limit }),
  );

  app.get(
    '/customers/:id',
    { schema: { summary: "A customer's whole record: identities, conversations, tickets, survey answers", params: IdParams } },
    async (request) => ({ customer: await customer360(db, request.params.id) }),
  );

  app.post(
    '/customers/:id/merge',
    {
      schema: {
        summary: 'Merge another customer into this one (audited)',
        params: IdParams,
        body: z.object({ mergeId: z.string().min(1, 'mergeId: the customer to fold into this one') }),
      },
    },
    async (request) => ({ merge: await mergeCustomers(db, request.params.id, request.body.mergeId, 'api') }),
  );

  app.get(
    '/conversations',
    {
      schema: {
        summary: 'List conversations, newest first',
        querystring: z.object({
          status: z.enum(Object.values(ConversationStatus)).optional(),
          channel: z.string().optional(),
          customerId: z.string().optional(),
          limit,
          after: z.string().optional().describe('the last id of the previous page'),
        }),
      },
    },
    async (request) => ({ conversations: await listConversations(db, request.query) }),
  );

  app.get('/flows', { schema: { summary: 'The flows loaded, and the problems of the flow files that are not' } }, async () => ({
    flows: flows.all().map((f) => ({ id: f.id, name: f.name, version: f.version, locales: f.locales, triggers: f.triggers, steps: f.steps.length })),
    problems: flows.problems.map(formatProblem),
    refused: flows.refused,
  }));

  app.get(
    '/templates',
    { schema: { summary: 'The WhatsApp message templates (PARLEY_TEMPLATES_FILE): purpose, category, variables and each language' } },
    async () => ({ configured: templates !== undefined, fallbackLanguages: templates?.file.fallback_languages ?? [], templates: templates?.list() ?? [] }),
  );

  app.get(
    '/flows/:id/stats',
    {
      schema: {
        summary: 'Per step of a flow: how many entered, answered, answered wrongly, timed out or dropped',
        params: IdParams,
        querystring: z.object({ since: since.optional() }),
      },
    },
    async (request) => {
      const { id } = request.params;
      const from = request.query.since === undefined ? undefined : sinceOf(request.query.since, now());
      const flow = flows.get(id);
      if (!flow && (await db.prisma.flowSession.count({ where: { flowId: id } })) === 0) throw new NotFoundError(`flow ${id}`);
      return { stats: await flowStats(db, id, flow, from) };
    },
  );

  app.post(
    '/conversations/:id/flows',
    {
      schema: {
        summary: 'Start a flow in a conversation',
        params: IdParams,
        body: z.object({ flowId: z.string().min(1, 'flowId: the flow to start') }),
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { flowId } = request.body;
      if (!flows.get(flowId))
        throw new UserError(
          `no flow "${flowId}" is loaded (flows: ${
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
        await events.emit(tx, [{ type: 'flow.start_requested', conversationId: id, customerId: conversation.customerId, flowId, by: 'api' }]);
      });
      onJobsQueued();
      return reply.code(202).send({ started: { conversationId: id, flowId } });
    },
  );

  app.get(
    '/conversations/:id/messages',
    {
      schema: {
        summary: "A conversation's messages, oldest first",
        params: IdParams,
        querystring: z.object({ limit, after: z.string().optional().describe('the last id of the previous page') }),
      },
    },
    async (request) => ({ messages: await conversationMessages(db, request.params.id, request.query) }),
  );

  if (desk) await app.register(deskApi, { db, desk });
  await app.register(crmApi, { db, now });
  await app.register(campaignsApi, { db, now, flowExists: (id) => flows.get(id) !== undefined, onJobsQueued });

  app.get(
    '/reports',
    {
      schema: {
        summary: 'Conversations, response and resolution times, CSAT, NPS, complaints and flow funnels',
        querystring: z.object({ since: since.default('30d'), format: z.enum(['json', 'csv', 'table']).default('json') }),
      },
    },
    async (request, reply) => {
      const until = now();
      const report = await buildReport(db, sinceOf(request.query.since, until), until);
      if (request.query.format === 'json') return { report };
      return reply
        .type(request.query.format === 'csv' ? 'text/csv; charset=utf-8' : 'text/plain; charset=utf-8')
        .send(formatReport(report, request.query.format, agentText));
    },
  );

  app.post(
    '/tickets/:ref/status',
    {
      schema: {
        summary: 'Move a ticket to another status (closing a complaint needs rootCause)',
        params: z.object({ ref: z.string().min(1) }),
        body: z.object({ status: z.enum(TICKET_STATUSES), rootCause: z.string().optional() }),
      },
    },
    async (request) => {
      if (!tickets) throw new UserError('tickets are not available in this server', 503);
      return { ticket: await changeTicketStatus(tickets, request.params.ref, { ...request.body, by: 'api' }, now()) };
    },
  );

  app.post(
    '/agents/:id/availability',
    {
      schema: {
        summary: "Set an agent's availability for assignment",
        params: IdParams,
        body: z.object({ availability: z.enum(['available', 'away']) }),
      },
    },
    async (request) => {
      if (!routing) throw new UserError('routing is not available in this server', 503);
      await routing.setAvailability(request.params.id, request.body.availability, 'api');
      return { agent: { id: request.params.id, availability: request.body.availability } };
    },
  );
};
