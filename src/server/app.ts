import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Parley } from '../runtime.ts';
import { api } from './api.ts';
import { installErrorHandler } from './errors.ts';
import { RequestLog } from './request-log.ts';
import { requestLogFields } from './log-fields.ts';
import { registerStudio } from '../studio/index.ts';

/** The HTTP face of a Parley process: health, channel webhooks, REST API. */
export async function buildServer(parley: Parley): Promise<FastifyInstance> {
  const app = Fastify({
    // Fastify logs every request's URL: tokens in its query string (Meta's hub.verify_token) are redacted first.
    loggerInstance: parley.logger.child({ part: 'http' }, { serializers: { req: requestLogFields } }) as FastifyBaseLogger,
    bodyLimit: 25 * 1024 * 1024,
    logController: new RequestLog(),
    // X-Forwarded-* say where a request was sent (its protocol, host, client) only behind a proxy that sets them.
    trustProxy: parley.config.PARLEY_TRUST_PROXY === 'true',
  });
  installErrorHandler(app);

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const channels = parley.channelStates();
    let database = 'ok';
    try {
      // On a connection of its own: under load the app's connections are queued for by writers.
      await parley.db.ping();
    } catch (error) {
      database = `unreachable: ${(error as Error).message}`;
    }
    const ready = database === 'ok';
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', database, channels, plugins: parley.pluginStates() });
  });

  for (const [name, adapter] of parley.adapters) {
    if (adapter.webhooks) await app.register(adapter.webhooks, { prefix: `/webhooks/${name}` });
  }

  // Before the API: it accepts a studio session as well as its token.
  await registerStudio(app, {
    db: parley.db,
    now: parley.now,
    flows: parley.flows,
    config: parley.config,
    logger: parley.logger.child({ part: 'studio' }),
    capabilitiesOf: (channel) => parley.capabilitiesOf(channel),
    timeZone: parley.agentText.timeZone,
    defaultRegion: parley.config.PARLEY_DEFAULT_REGION,
    onJobsQueued: () => parley.jobs.notify(),
  });

  await app.register(api, {
    prefix: '/api/v1',
    db: parley.db,
    agentText: parley.agentText,
    token: parley.config.PARLEY_API_TOKEN,
    defaultRegion: parley.config.PARLEY_DEFAULT_REGION,
    flows: parley.flows,
    events: parley.events,
    onJobsQueued: () => parley.jobs.notify(),
    desk: parley.desk,
    routing: parley.routing,
    tickets: parley.ticketDeps(),
    templates: parley.templates,
    now: parley.now,
  });
  return app;
}
