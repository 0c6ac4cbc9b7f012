import { z } from 'zod';
import { type ProviderDialect, sendJson } from './fake-provider.ts';

const SendBodySchema = z.object({
  to: z.string().min(1),
  type: z.string(),
  text: z.object({ body: z.string() }).optional(),
  interactive: z
    .object({ body: z.object({ text: z.string() }).optional() })
    .passthrough()
    .optional(),
});

const graphError = (code: number, message: string) => ({ error: { message, type: 'OAuthException', code, fbtrace_id: 'chaos' } });

/** Meta's Graph API send (POST /{version}/{phone-number-id}/messages) with its error bodies. */
export function graphDialect(phoneNumberId: string): ProviderDialect {
  return {
    channel: 'whatsapp',
    parse(req, raw) {
      const path = req.url?.split('?')[0]?.replace(/^\/v[\d.]+\//, '');
      if (req.method !== 'POST' || path !== `${phoneNumberId}/messages`) return { malformed: `${req.method} ${req.url}`, status: 404 };
      try {
        const body = SendBodySchema.parse(JSON.parse(raw.toString('utf8')));
        return { to: body.to, body: body.text?.body ?? body.interactive?.body?.text ?? `(${body.type})` };
      } catch (error) {
        return { malformed: `body: ${(error as Error).message.slice(0, 200)}`, status: 400 };
      }
    },
    accepted(res, send, id) {
      sendJson(res, 200, { messaging_product: 'whatsapp', contacts: [{ input: send.to, wa_id: send.to }], messages: [{ id: `wamid.fake.${id}` }] });
    },
    // Codes: https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes
    refused: (res) => sendJson(res, 400, graphError(131026, 'Message Undeliverable')),
    rateLimited: (res, seconds) => sendJson(res, 429, graphError(130429, 'Rate limit hit'), { 'retry-after': String(seconds) }),
    serverError: (res) => sendJson(res, 500, graphError(131000, 'Something went wrong')),
  };
}
