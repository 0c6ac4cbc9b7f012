import http from 'node:http';
import https from 'node:https';

/** What a JSON API client reads of an answer (the subset of fetch's Response it uses). */
export interface JsonResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  json(): Promise<unknown>;
}

export interface JsonRequest {
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Aborting closes the connection (a call past its deadline leaves nothing hanging). */
  readonly signal?: AbortSignal;
}

// Connections kept open between calls, as fetch keeps them.
const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };

/**
 * One request with a string body, its answer read whole: node:http under the hood instead of
 * fetch, whose WHATWG streams and request objects cost about 0.3 ms of CPU a call against 0.05
 * ms here (measured on the 2-core machine, 4,000 calls to a local server). For the calls made
 * once per message sent; anything streamed or multipart stays on fetch.
 */
export function requestJson(url: string, init: JsonRequest): Promise<JsonResponse> {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  const agent = agents[target.protocol as keyof typeof agents];
  if (!agent) return Promise.reject(new TypeError(`unsupported protocol ${target.protocol}`));
  return new Promise((resolve, reject) => {
    if (init.signal?.aborted) return reject(init.signal.reason);
    const headers = init.body === undefined ? init.headers : { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) };
    const request = client.request(target, { method: init.method, headers, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        init.signal?.removeEventListener('abort', abort);
        const status = response.statusCode ?? 0;
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          ok: status >= 200 && status < 300,
          status,
          headers: { get: (name) => headerValue(response.headers[name.toLowerCase()]) },
          json: async () => JSON.parse(text) as unknown,
        });
      });
    });
    const abort = () => request.destroy(init.signal?.reason instanceof Error ? init.signal.reason : new Error('aborted'));
    init.signal?.addEventListener('abort', abort, { once: true });
    request.on('error', (error) => {
      init.signal?.removeEventListener('abort', abort);
      reject(error);
    });
    request.end(init.body);
  });
}

const headerValue = (value: string | string[] | undefined): string | null => (value === undefined ? null : Array.isArray(value) ? value.join(', ') : value);
