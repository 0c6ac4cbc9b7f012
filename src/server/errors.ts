import type { FastifyError, FastifyInstance, FastifySchemaValidationError } from 'fastify';
import { parseSince } from '../core/duration.ts';
import { UserError } from '../core/errors.ts';

const PARTS: Record<string, string> = { querystring: 'query', params: 'path', body: 'body', headers: 'headers' };

/**
 * The error of a request that does not match its route's schema: a 400 naming the part and
 * the field, e.g. `query: status: Invalid option: expected one of "bot"|...`.
 */
export function formatValidationErrors(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const fields = errors.map((e) => `${e.instancePath.slice(1).replaceAll('/', '.') || '(message)'}: ${e.message ?? 'not valid'}`);
  return new UserError(`${PARTS[dataVar] ?? dataVar}: ${fields.join('; ')}`);
}

/** Every error leaves as JSON: { error: { status, message } }, with a message a user can act on. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | UserError | Error, request, reply) => {
    if (error instanceof UserError) {
      return reply.status(error.statusCode).send({ error: { status: error.statusCode, message: error.message } });
    }
    const status = (error as FastifyError).statusCode;
    if (status && status < 500) {
      return reply.status(status).send({ error: { status, message: error.message } });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.status(500).send({ error: { status: 500, message: 'internal error; the server log has the details' } });
  });
  app.setNotFoundHandler((request, reply) => reply.status(404).send({ error: { status: 404, message: `no route ${request.method} ${request.url}` } }));
}

/** A `since` of the query: a duration or an ISO date, a 400 naming the parameter otherwise. */
export function sinceOf(text: string, now: Date): Date {
  try {
    return parseSince(text, now);
  } catch (error) {
    throw new UserError(`query.since: ${(error as Error).message}`);
  }
}
