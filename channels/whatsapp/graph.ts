import { z } from 'zod';
import { SendError } from '../../src/core/channel.ts';
import { parseRetryAfter } from '../../src/pipeline/backoff.ts';
import { fetchMedia, type MediaFetchPolicy } from '../../src/core/safe-fetch.ts';
import { type JsonResponse, requestJson } from '../../src/core/http-json.ts';

export interface GraphOptions {
  readonly baseUrl: string;
  readonly version: string;
  readonly accessToken: string;
  /** Where media URLs Meta gives may point (its CDN hosts), and how much may be downloaded. */
  readonly media: MediaFetchPolicy;
  readonly fetch?: typeof fetch;
}

/**
 * A Graph API path from ids (a phone number id, a media id from a webhook): each one is one
 * path segment, encoded, so an id such as `../x` cannot move the request (with the bearer
 * token) to another path. `.` and `..` are refused: URL parsing resolves them even encoded.
 */
export function graphPath(...ids: string[]): string {
  return ids
    .map((id) => {
      if (id === '' || /^(\.|%2e){1,2}$/i.test(id)) throw new SendError(`"${id}" is not a Graph API id`, { retryable: false });
      return encodeURIComponent(id);
    })
    .join('/');
}

const GraphErrorSchema = z.object({
  error: z.object({
    message: z.string().default(''),
    code: z.number().optional(),
    error_subcode: z.number().optional(),
    error_data: z.object({ details: z.string().optional() }).partial().optional(),
  }),
});

export const SendResponseSchema = z.object({ messages: z.array(z.object({ id: z.string().min(1) })).min(1) });
export const MediaInfoSchema = z.object({ url: z.string().url(), mime_type: z.string().optional(), file_size: z.number().optional() });
export const UploadResponseSchema = z.object({ id: z.string().min(1) });

// Meta's throttling codes: throughput, pair rate, spam rate, app/account rate limits.
const RATE_LIMITED = new Set([4, 17, 32, 613, 80007, 130429, 131048, 131056]);
// Meta's own trouble: try again later.
const TRANSIENT = new Set([1, 2, 131000, 131016, 133004]);

/** Meta's Graph API for one WhatsApp business number, through fetch, answers checked with zod. */
export class GraphApi {
  readonly #fetch: typeof fetch;

  constructor(private readonly options: GraphOptions) {
    this.#fetch = options.fetch ?? fetch;
  }

  url(path: string): string {
    return `${this.options.baseUrl.replace(/\/$/, '')}/${this.options.version}/${path.replace(/^\//, '')}`;
  }

  /** `signal` ends the call when the outbox's deadline passes, so a hung connection is not left open. */
  async postJson<T>(path: string, body: unknown, schema: z.ZodType<T>, signal?: AbortSignal): Promise<T> {
    return this.#call(this.url(path), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal }, schema);
  }

  async postForm<T>(path: string, body: FormData, schema: z.ZodType<T>): Promise<T> {
    return this.#call(this.url(path), { method: 'POST', body }, schema);
  }

  async getJson<T>(path: string, schema: z.ZodType<T>): Promise<T> {
    return this.#call(this.url(path), { method: 'GET' }, schema);
  }

  /** Bytes at a media URL Meta gave (it needs the same bearer token), only from Meta's media hosts and within the size limit. */
  async download(url: string): Promise<Buffer> {
    const media = await fetchMedia(url, this.options.media, { authorization: `Bearer ${this.options.accessToken}` });
    return media.bytes;
  }

  async #call<T>(url: string, init: RequestInit, schema: z.ZodType<T>): Promise<T> {
    const response = await this.#request(url, init);
    if (!response.ok) throw await this.#error(response, url);
    const parsed = schema.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) {
      throw new SendError(`unexpected answer from the Graph API at ${url}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, {
        retryable: true,
      });
    }
    return parsed.data;
  }

  async #request(url: string, init: RequestInit): Promise<JsonResponse> {
    const headers = { ...(init.headers as Record<string, string>), authorization: `Bearer ${this.options.accessToken}` };
    try {
      // A send (a JSON body) goes through node:http, far cheaper than fetch (see requestJson);
      // forms and a fetch given in the options (tests) go through fetch.
      if (typeof init.body === 'string' && !this.options.fetch) {
        return await requestJson(url, { method: init.method ?? 'POST', headers, body: init.body, signal: init.signal ?? undefined });
      }
      return await this.#fetch(url, { ...init, headers });
    } catch (error) {
      throw new SendError(`the Graph API could not be reached (${url}): ${(error as Error).message}`, { retryable: true, cause: error });
    }
  }

  /** Rate limits and Meta's own trouble are retried later; refusals (bad number, outside the window, ...) are not. */
  async #error(response: JsonResponse, url: string): Promise<SendError> {
    const body = GraphErrorSchema.safeParse(await response.json().catch(() => undefined));
    if (!body.success) {
      return new SendError(`Graph API answered HTTP ${response.status} for ${url}`, { retryable: response.status === 429 || response.status >= 500 });
    }
    const { code, message, error_data } = body.data.error;
    const reason = `${message}${error_data?.details ? ` (${error_data.details})` : ''}`;
    const rateLimited = code !== undefined && RATE_LIMITED.has(code);
    const retryable = rateLimited || response.status === 429 || response.status >= 500 || (code !== undefined && TRANSIENT.has(code));
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    return new SendError(reason, { retryable, retryAfterMs, code: code !== undefined ? `Meta ${code}` : `HTTP ${response.status}` });
  }
}
