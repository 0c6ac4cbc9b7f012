import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import twilio from 'twilio';
import type TwilioRequestClient from 'twilio/lib/base/RequestClient.js';
import type * as TwilioResponse from 'twilio/lib/http/response.js';
import { z } from 'zod';
import { SendError } from '../../../src/core/channel.ts';
import type { Attachment, ConsentAction } from '../../../src/core/message.ts';
import { parseRetryAfter } from '../../../src/pipeline/backoff.ts';
import { checkMediaUrl, type MediaFetchPolicy } from '../../../src/core/safe-fetch.ts';
import { OPTED_OUT, type SmsInbound, type SmsProvider, type SmsSend, type SmsWebhookSink } from '../provider.ts';
import { UserError } from '../../../src/core/errors.ts';
import { keepRawBodies, signedWebhookRoute, type WebhookOutcome, type WebhookRequest, webhookItem } from '../../kit/signed-webhook.ts';

export interface TwilioOptions {
  readonly accountSid: string;
  readonly authToken: string;
  /** The sending number (E.164) or a Messaging Service SID (MG...). */
  readonly from: string;
  /** Public base URL Twilio calls (behind a proxy the request's own URL differs); also for status callbacks. */
  readonly publicUrl?: string;
  /** Twilio's API base URL (tests point it at a local fake). */
  readonly apiUrl?: string;
  /** Whether Twilio answers STOP/START/HELP itself (its default on long codes and Advanced Opt-Out). */
  readonly answersKeywords: boolean;
  /** Where MediaUrl<N> may point (Twilio's own media hosts). */
  readonly media: MediaFetchPolicy;
}

/** Twilio sends at most 10 media files with one message (https://www.twilio.com/docs/messaging/api/media-resource). */
const MAX_MEDIA = 10;

const InboundSchema = z.object({
  MessageSid: z.string().min(1),
  From: z.string().min(1),
  To: z.string().optional(),
  Body: z.string().optional(),
  NumMedia: z.coerce.number().int().nonnegative().max(MAX_MEDIA, `Twilio sends at most ${MAX_MEDIA} media files with one message`).default(0),
  /**
   * Set by Twilio when the message matched an opt-out, opt-in or help keyword, its defaults or
   * the custom ones of Advanced Opt-Out (https://www.twilio.com/docs/messaging/tutorials/advanced-opt-out);
   * Twilio has then already answered and changed the number's state.
   */
  OptOutType: z.enum(['STOP', 'START', 'HELP']).optional(),
});

const OPT_OUT_TYPE: Record<'STOP' | 'START' | 'HELP', ConsentAction> = { STOP: 'opt_out', START: 'opt_in', HELP: 'help' };

const StatusSchema = z.object({
  MessageSid: z.string().min(1),
  MessageStatus: z.string().min(1),
  ErrorCode: z.string().optional(),
  ErrorMessage: z.string().optional(),
});

const STATUS: Record<string, 'sent' | 'delivered' | 'read' | 'failed' | undefined> = {
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  undelivered: 'failed',
  failed: 'failed',
  canceled: 'failed',
};

/**
 * Twilio's default keywords and its own answers (https://help.twilio.com/articles/223134027;
 * OPTOUT and REVOKE joined the opt-out words: https://www.twilio.com/docs/messaging/tutorials/advanced-opt-out).
 */
const TWILIO_KEYWORDS: Record<string, [ConsentAction, string]> = Object.fromEntries([
  ...['stop', 'stopall', 'unsubscribe', 'cancel', 'end', 'quit', 'optout', 'revoke'].map((k) => [
    k,
    ['opt_out', 'You have successfully been unsubscribed. You will not receive any more messages from this number. Reply START to resubscribe.'],
  ]),
  ...['start', 'unstop'].map((k) => [
    k,
    [
      'opt_in',
      'You have successfully been re-subscribed to messages from this number. Reply HELP for help. Reply STOP to unsubscribe. Msg&Data Rates May Apply.',
    ],
  ]),
  ...['help', 'info'].map((k) => [k, ['help', 'Reply STOP to unsubscribe. Msg&Data Rates May Apply.']]),
]);

/** Meanings of the delivery error codes agents meet most (https://www.twilio.com/docs/api/errors). */
const ERRORS: Record<string, string> = {
  '21211': 'invalid phone number',
  '21408': 'sending to this region is not enabled',
  '21610': 'recipient has unsubscribed (replied STOP)',
  '21614': 'not a mobile number',
  '30003': 'unreachable destination handset',
  '30004': 'message blocked',
  '30005': 'unknown destination handset',
  '30006': 'landline or unreachable carrier',
  '30007': 'filtered by the carrier as spam',
  '30008': 'unknown error',
};

export const twilioReason = (code: string | number | undefined, message?: string): string => {
  if (code === undefined || code === '') return message ?? 'failed (Twilio gave no reason)';
  return `Twilio ${code}: ${ERRORS[String(code)] ?? message ?? 'see https://www.twilio.com/docs/api/errors/' + code}`;
};

/** A Twilio error that carries the response's Retry-After, which the SDK's RestException drops. */
class TwilioRetryAfter extends twilio.RestException {
  constructor(
    response: { statusCode: number; body: unknown },
    readonly retryAfterMs: number,
  ) {
    super(response);
  }
}

/** The SDK's HTTP client, keeping Retry-After of a refused request (429, 503). */
class RetryAfterRequestClient extends twilio.RequestClient {
  override async request<TData>(opts: TwilioRequestClient.RequestOptions<TData>): Promise<TwilioResponse.default<TData>> {
    const response = await super.request(opts);
    const headers = (response.headers ?? {}) as Record<string, string | undefined>;
    const retryAfterMs = response.statusCode >= 400 ? parseRetryAfter(headers['retry-after']) : undefined;
    if (retryAfterMs !== undefined) throw new TwilioRetryAfter(response, retryAfterMs);
    return response;
  }
}

/** SMS and MMS through Twilio's Messages API, with its signed webhooks. */
export function twilioProvider(options: TwilioOptions): SmsProvider {
  const client = twilio(options.accountSid, options.authToken, { autoRetry: false, httpClient: new RetryAfterRequestClient() });
  if (options.apiUrl) client.api.baseUrl = options.apiUrl.replace(/\/$/, '');
  const sender = options.from.startsWith('MG') ? { messagingServiceSid: options.from } : { from: options.from };
  const statusCallback = options.publicUrl ? `${options.publicUrl.replace(/\/$/, '')}/webhooks/sms/status` : undefined;

  const verified = (request: WebhookRequest): string | undefined => {
    const signature = request.headers['x-twilio-signature'];
    if (typeof signature !== 'string' || !signature) return 'X-Twilio-Signature header is missing';
    const url = options.publicUrl ? `${options.publicUrl.replace(/\/$/, '')}${request.url}` : `${request.protocol}://${request.host}${request.url}`;
    return twilio.validateRequest(options.authToken, signature, url, { ...request.form })
      ? undefined
      : `X-Twilio-Signature does not match this request for ${url} (if Parley is behind a proxy, set SMS_PUBLIC_URL to the URL Twilio calls, or PARLEY_TRUST_PROXY=true)`;
  };

  /** Twilio posts one message or status a request: refused, it is answered 400 with the reason (Twilio logs it). */
  const refusedOr = (label: string, reply: FastifyReply, outcome: WebhookOutcome, answer: () => FastifyReply): FastifyReply =>
    outcome.dispatched === 0 && outcome.refused.length > 0
      ? reply.status(400).send({ error: `${label}: ${outcome.refused.map((r) => r.reason).join('; ')}` })
      : answer();

  const routes =
    (sink: SmsWebhookSink): FastifyPluginAsync =>
    async (app) => {
      keepRawBodies(app, 'application/x-www-form-urlencoded');

      signedWebhookRoute(app, '/inbound', {
        contentType: 'application/x-www-form-urlencoded',
        logger: () => sink.logger,
        verify: verified,
        decode: (request) => ({
          items: [
            webhookItem('inbound', InboundSchema, request.form, async (message) => {
              const media: Attachment[] = [];
              for (let i = 0; i < message.NumMedia; i++) {
                const url = request.form[`MediaUrl${i}`];
                const mimeType = request.form[`MediaContentType${i}`];
                if (!url) continue;
                try {
                  checkMediaUrl(url, options.media);
                } catch (error) {
                  throw new UserError(`MediaUrl${i}: ${(error as Error).message} (SMS_MEDIA_HOSTS)`);
                }
                media.push({ kind: kindOf(mimeType), url, mimeType });
              }
              await sink.inbound({
                externalId: message.MessageSid,
                from: message.From,
                to: message.To,
                text: message.Body || undefined,
                media,
                ...(message.OptOutType ? { providerConsent: providerConsent(message.OptOutType, message.Body, options.answersKeywords) } : {}),
                raw: request.form,
              });
            }),
          ],
        }),
        answer: (reply, outcome) =>
          refusedOr('Twilio inbound webhook', reply, outcome, () => reply.type('text/xml').send('<?xml version="1.0" encoding="UTF-8"?><Response></Response>')),
      });

      signedWebhookRoute(app, '/status', {
        contentType: 'application/x-www-form-urlencoded',
        logger: () => sink.logger,
        verify: verified,
        decode: (request) => ({
          items: [
            webhookItem('status', StatusSchema, request.form, async (update) => {
              const status = STATUS[update.MessageStatus];
              if (!status) return;
              await sink.status({
                externalId: update.MessageSid,
                status,
                reason: status === 'failed' ? twilioReason(update.ErrorCode, update.ErrorMessage ?? update.MessageStatus) : undefined,
              });
            }),
          ],
        }),
        answer: (reply, outcome) => refusedOr('Twilio status callback', reply, outcome, () => reply.status(204).send()),
      });
    };

  return {
    name: 'twilio',
    routes,
    /** Reads the account (https://www.twilio.com/docs/iam/api/account#fetch-an-account-resource): nothing is sent. */
    async verify() {
      try {
        const account = await client.api.v2010.accounts(options.accountSid).fetch();
        return `Twilio account ${account.friendlyName} (${account.status})`;
      } catch (error) {
        const status = (error as { status?: number }).status;
        if (status === 401 || status === 403) throw new Error(`Twilio refused TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN (HTTP ${status})`, { cause: error });
        throw new Error(`Twilio could not be reached: ${(error as Error).message}`, { cause: error });
      }
    },
    providerConsentReply: (action, keyword) => {
      const known = options.answersKeywords ? TWILIO_KEYWORDS[keyword] : undefined;
      return known && known[0] === action ? known[1] : undefined;
    },
    async send(message: SmsSend) {
      try {
        const created = await client.messages.create({
          ...sender,
          to: message.to,
          body: message.text,
          ...(message.mediaUrls.length > 0 ? { mediaUrl: [...message.mediaUrls] } : {}),
          ...(statusCallback && message.trackStatus ? { statusCallback } : {}),
        });
        return { externalId: created.sid };
      } catch (error) {
        throw toSendError(error);
      }
    },
  };
}

/**
 * What Twilio did for a keyword message: the action, and Twilio's answer when Parley knows its
 * text (a default keyword); a custom keyword's answer is configured in Twilio, so none is recorded.
 */
function providerConsent(type: 'STOP' | 'START' | 'HELP', body: string | undefined, answersKeywords: boolean): NonNullable<SmsInbound['providerConsent']> {
  const action = OPT_OUT_TYPE[type];
  const known = answersKeywords && body ? TWILIO_KEYWORDS[body.trim().toLowerCase()] : undefined;
  return { action, ...(known && known[0] === action ? { reply: known[1] } : {}) };
}

function kindOf(mimeType: string | undefined): Attachment['kind'] {
  const top = mimeType?.split('/')[0];
  return top === 'image' || top === 'audio' || top === 'video' ? top : mimeType ? 'document' : 'other';
}

/** Rate limits and Twilio's own trouble are retried; a refused request is not. */
export function toSendError(error: unknown): SendError {
  if (!(error instanceof twilio.RestException)) {
    return new SendError(`Twilio could not be reached: ${(error as Error)?.message ?? String(error)}`, { retryable: true, cause: error });
  }
  const code = error.code !== undefined ? String(error.code) : undefined;
  const reason = twilioReason(code, error.message);
  if (code === '21610') return new SendError(reason, { retryable: false, code: OPTED_OUT, cause: error });
  const retryable = error.status === 429 || error.status >= 500 || code === '20429';
  const retryAfterMs = error instanceof TwilioRetryAfter ? error.retryAfterMs : undefined;
  return new SendError(reason, { retryable, retryAfterMs, code: `HTTP ${error.status}`, cause: error });
}
