import { createHmac } from 'node:crypto';

/** One customer message the load generator sends, and what the bot must answer to it. */
export interface PlannedMessage {
  readonly externalId: string;
  readonly customer: number;
  readonly seq: number;
  readonly text: string;
  /** Why the database cannot store it as is; undefined for a good message. */
  readonly poison?: 'nul' | 'lone_surrogate';
  /** Text of the bot's reply (the echo flow's), for good messages. */
  readonly expectedReply?: string;
}

export const PHONE_NUMBER_ID = '106540352242922';

/** wa_id (digits, no +) of customer `i`: Iranian mobile numbers, as the default region reads them. */
export const waIdOf = (customer: number): string => `98912${String(1_000_000 + customer).slice(-7)}`;

/** The tag every message text starts with: it names the customer and the sequence number. */
export const tagOf = (customer: number, seq: number): string => `c${String(customer).padStart(3, '0')}-m${String(seq).padStart(3, '0')}`;
export const TAG_PATTERN = /^c(\d{3})-m(\d{3})/;

/** A Cloud API webhook body carrying `messages` from one customer, as Meta sends it. */
export function webhookBody(messages: readonly PlannedMessage[], nowSeconds: number): string {
  const from = waIdOf(messages[0]?.customer ?? 0);
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
              messages: messages.map((m) => ({ from, id: m.externalId, timestamp: String(nowSeconds), type: 'text', text: { body: m.text } })),
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
export const metaSignature = (body: string, appSecret: string): string => `sha256=${createHmac('sha256', appSecret).update(body, 'utf8').digest('hex')}`;
