import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

const PROBES = new Set(['/healthz', '/readyz']);

const pathOf = (request: FastifyRequest) => request.url.split('?')[0] as string;

/**
 * Fastify's request logging cut to one line per request (method, route, status, time), and
 * none for health probes, which come every few seconds. The full request and response
 * objects are logged only at debug.
 */
export class RequestLog extends LogController {
  constructor() {
    super({ disableRequestLogging: (request) => PROBES.has(pathOf(request)) });
  }

  override incomingRequest(request: FastifyRequest): void {
    if (!this.isLogDisabled(request)) request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    const line = `${request.method} ${request.routeOptions.url ?? pathOf(request)} ${reply.statusCode} ${Math.round(reply.elapsedTime)}ms`;
    if (error) reply.log.error({ err: error }, line);
    else reply.log.info(line);
  }

  /** The completed line says 404 already. */
  override routeNotFound(): void {}
}
