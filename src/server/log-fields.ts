import type { FastifyRequest } from 'fastify';

/** Query parameters that carry credentials: Meta's hub.verify_token, access tokens, signatures, keys. */
const SECRET_PARAMETER = /token|secret|signature|password|passwd|key|auth|sig$|code$/i;

/** The request URL with the values of credential-like query parameters replaced, for logs. */
export function redactUrl(url: string): string {
  const query = url.indexOf('?');
  if (query < 0) return url;
  const params = new URLSearchParams(url.slice(query + 1));
  let redacted = false;
  for (const name of new Set(params.keys())) {
    if (!SECRET_PARAMETER.test(name)) continue;
    params.set(name, '[redacted]');
    redacted = true;
  }
  return redacted ? `${url.slice(0, query)}?${params.toString()}` : url;
}

/** What Fastify logs of a request (its default fields), with secrets in the query string redacted. */
export function requestLogFields(request: FastifyRequest) {
  return {
    method: request.method,
    url: redactUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
