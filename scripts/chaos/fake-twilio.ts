import { type ProviderDialect, sendJson } from './fake-provider.ts';

const twilioError = (status: number, code: number, message: string) => ({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });

/** Twilio's Messages API (POST /2010-04-01/Accounts/{sid}/Messages.json, form-encoded) with its error bodies. */
export function twilioDialect(accountSid: string, authToken: string): ProviderDialect {
  const authorization = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
  return {
    channel: 'sms',
    parse(req, raw) {
      if (req.method !== 'POST' || req.url !== `/2010-04-01/Accounts/${accountSid}/Messages.json`)
        return { malformed: `${req.method} ${req.url}`, status: 404 };
      if (req.headers.authorization !== authorization) return { malformed: 'wrong or missing Basic authorization', status: 401 };
      const form = new URLSearchParams(raw.toString('utf8'));
      const to = form.get('To');
      if (!to) return { malformed: 'To is missing', status: 400 };
      return { to, body: form.get('Body') ?? '' };
    },
    accepted(res, send, id) {
      sendJson(res, 201, { sid: `SMfake${String(id).padStart(26, '0')}`, account_sid: accountSid, to: send.to, body: send.body, status: 'queued' });
    },
    // Codes: https://www.twilio.com/docs/api/errors
    refused: (res) => sendJson(res, 400, twilioError(400, 21211, "The 'To' number is not a valid phone number.")),
    rateLimited: (res, seconds) => sendJson(res, 429, twilioError(429, 20429, 'Too Many Requests'), { 'retry-after': String(seconds) }),
    serverError: (res) => sendJson(res, 500, twilioError(500, 20500, 'Internal Server Error')),
  };
}
