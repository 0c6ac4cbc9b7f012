import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

/** application/x-www-form-urlencoded as a flat object (Twilio and most SMS gateways post forms). */
export function formBodyParser(_request: FastifyRequest, body: string | Buffer, done: (error: Error | null, body?: unknown) => void): void {
  done(null, Object.fromEntries(new URLSearchParams(body.toString())));
}

/** A webhook whose signature does not check out: refused with the reason, nothing stored. */
export function rejectWebhook(reply: FastifyReply, logger: Logger, problem: string): FastifyReply {
  logger.warn({ problem }, 'webhook refused');
  return reply.status(403).send({ error: problem });
}
