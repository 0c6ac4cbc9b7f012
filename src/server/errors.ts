import type { FastifyError, FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { UserError } from '../core/errors.ts';
import { formatZodIssues } from '../pipeline/inbox.ts';

/** Parses request input with a zod schema; a mismatch is a 400 that names the field. */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new UserError(`${where}: ${formatZodIssues(parsed.error)}`);
  return parsed.data;
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
