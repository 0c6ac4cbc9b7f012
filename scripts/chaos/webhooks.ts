import { createHmac } from 'node:crypto';
import twilio from 'twilio';

export type ChaosChannel = 'whatsapp' | 'sms';

/** One customer message the load generator sends, and what the bot must answer to it. */
export interface PlannedMessage {
  readonly externalId: string;
  readonly channel: ChaosChannel;
  readonly customer: number;
  readonly seq: number;
  readonly text: string;
  /** Why the database cannot store it as is; undefined for a good message. */
  readonly poison?: 'nul' | 'lone_surrogate';
  /** Text of the bot's reply (the echo flow's), for good messages. */
  readonly expectedReply?: string;
}

export const PHONE_NUMBER_ID = '106540352242922';
export const TWILIO_ACCOUNT_SID = `AC${'c'.repeat(32)}`;
export const TWILIO_FROM = '+15005550006';

export interface Secrets {
  readonly metaAppSecret: string;
  readonly twilioAuthToken: string;
}

/** Phone number (digits, no +) of customer `i`: Iranian mobile numbers, as the default region reads them. */
export const phoneOf = (customer: number): string => `98912${String(1_000_000 + customer).slice(-7)}`;

/** Even customers write on WhatsApp, odd ones by SMS: both providers' paths run side by side. */
export const channelOf = (customer: number): ChaosChannel => (customer % 2 === 0 ? 'whatsapp' : 'sms');

/** The tag every message text starts with: it names the customer and the sequence number. */
export const tagOf = (customer: number, seq: number): string => `c${String(customer).padStart(3, '0')}-m${String(seq).padStart(3, '0')}`;
export const TAG_PATTERN = /^c(\d{3})-m(\d{3})/;

export interface WebhookRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** The webhook a provider would POST to Parley at `baseUrl` for these messages of one customer, signed as it signs. */
export function webhookRequest(messages: readonly PlannedMessage[], baseUrl: string, secrets: Secrets): WebhookRequest {
  const first = messages[0];
  if (!first) throw new Error('a webhook carries at least one message');
  if (first.channel === 'whatsapp') {
    const body = cloudApiBody(messages);
    return {
      url: `${baseUrl}/webhooks/whatsapp`,
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': metaSignature(body, secrets.metaAppSecret) },
      body,
    };
  }
  if (messages.length !== 1) throw new Error('a Twilio webhook carries one message');
  const url = `${baseUrl}/webhooks/sms/inbound`;
  const params = {
    MessageSid: first.externalId,
    AccountSid: TWILIO_ACCOUNT_SID,
    From: `+${phoneOf(first.customer)}`,
    To: TWILIO_FROM,
    Body: first.text,
    NumMedia: '0',
  };
  // https://www.twilio.com/docs/usage/webhooks/webhooks-security: HMAC-SHA1 of the URL and the sorted parameters.
  const signature = twilio.getExpectedTwilioSignature(secrets.twilioAuthToken, url, params);
  return {
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    body: new URLSearchParams(params).toString(),
  };
}

/** A Cloud API webhook body carrying `messages` from one customer, as Meta sends it. */
function cloudApiBody(messages: readonly PlannedMessage[]): string {
  const from = phoneOf(messages[0]?.customer ?? 0);
  const timestamp = String(Math.floor(Date.now() / 1000));
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: 'WABA-CHAOS',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550000000', phone_number_id: PHONE_NUMBER_ID },
              contacts: [{ wa_id: from, profile: { name: `Chaos ${from}` } }],
              messages: messages.map((m) => ({ from, id: m.externalId, timestamp, type: 'text', text: { body: m.text } })),
            },
          },
        ],
      },
    ],
  });
}

/**
 * X-Hub-Signature-256 as Meta computes it: "sha256=" + HMAC-SHA256 of the exact body bytes with
 * the app secret (https://developers.facebook.com/docs/graph-api/webhooks/getting-started#validate-payloads).
 */
const metaSignature = (body: string, appSecret: string): string => `sha256=${createHmac('sha256', appSecret).update(body, 'utf8').digest('hex')}`;
