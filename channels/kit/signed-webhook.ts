import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { parseEach, type RefusedItem, settleEach } from '../../src/core/per-item.ts';

/**
 * The one way a provider's signed webhook comes in, whatever the channel:
 *   raw body -> signature check (403, nothing stored) -> decode into items (400 when the body
 *   is not the provider's at all) -> each item checked against its schema (a bad one is refused
 *   alone, the others go on) -> `dispatch` stores it (`await receive`) -> 2xx.
 * A store that fails (the database, not the item) answers 5xx once every item has settled, so
 * the provider retries and what was already stored comes back as a duplicate.
 * A channel fills in verify, decode, dispatch (inside its items) and the answer.
 */

/** What a channel's webhook sees of a request: the exact bytes the provider signed, and where they came to. */
export interface WebhookRequest {
  readonly rawBody: Buffer;
  readonly headers: FastifyRequest['headers'];
  /** Path and query as received (e.g. /webhooks/sms/inbound). */
  readonly url: string;
  readonly protocol: string;
  readonly host: string;
  /** The body's fields when it is a form (application/x-www-form-urlencoded), else empty. */
  readonly form: Readonly<Record<string, string>>;
}

/** One item of a body (a message, a status): checked against its schema on its own, then dispatched. */
export interface WebhookItem {
  /** Where the item is in the body, for the refusal ("entry.0.changes.0.value.messages.1"). */
  readonly at: string;
  check(): { readonly refused: RefusedItem } | { readonly dispatch: () => Promise<void> };
}

/** An item whose `value` must pass `schema`; `dispatch` gets the parsed value (a UserError it throws refuses the item alone). */
export function webhookItem<T extends z.ZodType>(at: string, schema: T, value: unknown, dispatch: (item: z.output<T>) => Promise<void>): WebhookItem {
  return {
    at,
    check() {
      const { valid, refused } = parseEach(schema, [value], at);
      const item = valid[0];
      if (refused[0]) return { refused: { ...refused[0], at } };
      return { dispatch: () => dispatch(item as z.output<T>) };
    },
  };
}

/** Thrown by `decode` when the body is not this provider's webhook at all: 400, nothing stored. */
export class WebhookBodyError extends Error {
  override name = 'WebhookBodyError';
}

export interface WebhookOutcome {
  /** Items handed to the core (stored, or recognised as duplicates). */
  readonly dispatched: number;
  readonly refused: readonly RefusedItem[];
}

export interface SignedWebhook {
  /** The body's media type; its bytes are kept raw in this route's scope (the signature covers them). */
  readonly contentType: 'application/json' | 'application/x-www-form-urlencoded';
  /** Why the signature does not check out (403), or undefined. */
  verify(request: WebhookRequest): string | undefined;
  /** The body's items; items refused while decoding (a malformed contact, ...) come back beside them. */
  decode(request: WebhookRequest): { readonly items: readonly WebhookItem[]; readonly refused?: readonly RefusedItem[] };
  /** The 2xx answer once every good item is stored (or the channel's own answer when all were refused). */
  answer(reply: FastifyReply, outcome: WebhookOutcome): FastifyReply;
  readonly logger: () => Logger;
}

/** Keeps bodies of `contentType` as raw bytes in this Fastify scope (a channel's webhooks plugin). */
export function keepRawBodies(app: FastifyInstance, contentType: SignedWebhook['contentType']): void {
  if (app.hasContentTypeParser(contentType)) app.removeContentTypeParser(contentType);
  app.addContentTypeParser(contentType, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
}

/** Registers POST `path` as a signed webhook (call keepRawBodies once in the scope first). */
export function signedWebhookRoute(app: FastifyInstance, path: string, webhook: SignedWebhook): void {
  app.post(path, async (request, reply) => {
    const rawBody = request.body instanceof Buffer ? request.body : Buffer.alloc(0);
    const form = webhook.contentType === 'application/x-www-form-urlencoded' ? Object.fromEntries(new URLSearchParams(rawBody.toString('utf8'))) : {};
    const incoming: WebhookRequest = { rawBody, headers: request.headers, url: request.url, protocol: request.protocol, host: request.host, form };
    const logger = webhook.logger();

    const problem = webhook.verify(incoming);
    if (problem) {
      logger.warn({ problem }, 'webhook refused');
      return reply.status(403).send({ error: problem });
    }

    let decoded: ReturnType<SignedWebhook['decode']>;
    try {
      decoded = webhook.decode(incoming);
    } catch (error) {
      if (error instanceof WebhookBodyError) return reply.status(400).send({ error: error.message });
      throw error;
    }

    const refused: RefusedItem[] = [...(decoded.refused ?? [])];
    const tasks: { at: string; dispatch: () => Promise<void> }[] = [];
    for (const item of decoded.items) {
      const checked = item.check();
      if ('refused' in checked) refused.push(checked.refused);
      else tasks.push({ at: item.at, dispatch: checked.dispatch });
    }
    let refusedOnDispatch: RefusedItem[];
    try {
      refusedOnDispatch = await settleEach(
        tasks,
        (task) => task.dispatch(),
        (task) => task.at,
      );
    } catch (error) {
      logger.error({ err: error }, 'webhook not stored: the provider will retry');
      return reply.status(503).send({ error: 'not stored; try again' });
    }
    refused.push(...refusedOnDispatch);
    for (const item of refused) logger.warn(item, 'webhook item refused');
    return webhook.answer(reply, { dispatched: tasks.length - refusedOnDispatch.length, refused });
  });
}
