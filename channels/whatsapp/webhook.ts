import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Attachment, DeliveryStatusUpdate, InboundMessage } from '../../src/core/message.ts';

/** The Cloud API's webhook body (field "messages"); unknown fields pass through untouched. */
const MediaSchema = z.object({ id: z.string().min(1), mime_type: z.string().optional(), caption: z.string().optional(), filename: z.string().optional() });

export const CloudMessageSchema = z.object({
  from: z.string().min(1),
  id: z.string().min(1),
  timestamp: z.string().optional(),
  type: z.string(),
  text: z.object({ body: z.string() }).optional(),
  interactive: z
    .object({
      type: z.string(),
      button_reply: z.object({ id: z.string(), title: z.string() }).optional(),
      list_reply: z.object({ id: z.string(), title: z.string(), description: z.string().optional() }).optional(),
    })
    .optional(),
  button: z.object({ payload: z.string().optional(), text: z.string() }).optional(),
  image: MediaSchema.optional(),
  audio: MediaSchema.optional(),
  video: MediaSchema.optional(),
  document: MediaSchema.optional(),
  sticker: MediaSchema.optional(),
  location: z.object({ latitude: z.number(), longitude: z.number(), name: z.string().optional(), address: z.string().optional() }).optional(),
  context: z.object({ id: z.string().optional() }).optional(),
});
export type CloudMessage = z.infer<typeof CloudMessageSchema>;

export const CloudStatusSchema = z.object({
  id: z.string().min(1),
  status: z.string(),
  timestamp: z.string().optional(),
  recipient_id: z.string().optional(),
  errors: z
    .array(
      z.object({
        code: z.number(),
        title: z.string().optional(),
        message: z.string().optional(),
        error_data: z.object({ details: z.string() }).partial().optional(),
      }),
    )
    .optional(),
});

export const ContactSchema = z.object({ wa_id: z.string(), profile: z.object({ name: z.string() }).partial().optional() });

/**
 * The envelope only: its messages, statuses and contacts are checked one by one (parseEach),
 * so one malformed item is refused alone and the others of the body are stored.
 */
export const WebhookBodySchema = z.object({
  object: z.string(),
  entry: z.array(
    z.object({
      changes: z.array(
        z.object({
          field: z.string(),
          value: z.object({
            metadata: z.object({ phone_number_id: z.string() }).partial().optional(),
            contacts: z.array(z.unknown()).optional(),
            messages: z.array(z.unknown()).optional(),
            statuses: z.array(z.unknown()).optional(),
          }),
        }),
      ),
    }),
  ),
});
export type WebhookBody = z.infer<typeof WebhookBodySchema>;

/** X-Hub-Signature-256: "sha256=" + HMAC-SHA256 of the raw body with the app secret. */
export function signatureProblem(rawBody: Buffer, header: string | string[] | undefined, appSecret: string): string | undefined {
  if (typeof header !== 'string' || !header) return 'X-Hub-Signature-256 header is missing';
  const expected = Buffer.from(`sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`);
  const given = Buffer.from(header);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'X-Hub-Signature-256 does not match the body (check WHATSAPP_APP_SECRET)';
  return undefined;
}

const MEDIA_KINDS = ['image', 'audio', 'video', 'document', 'sticker'] as const;

/** The media object of a message, if it carries one. */
export function mediaOf(message: CloudMessage): { kind: (typeof MEDIA_KINDS)[number]; media: z.infer<typeof MediaSchema> } | undefined {
  for (const kind of MEDIA_KINDS) {
    const media = message[kind];
    if (media) return { kind, media };
  }
  return undefined;
}

/**
 * A Cloud API message as Parley's InboundMessage; `attachment` is the downloaded media.
 * undefined for what Parley does not take in (reactions, unsupported, system notices).
 */
export function toInbound(message: CloudMessage, displayName: string | undefined, attachment: Attachment | undefined): InboundMessage | undefined {
  const interactive = message.interactive?.button_reply ?? message.interactive?.list_reply;
  const templateButton = message.button ? { id: message.button.payload ?? message.button.text, title: message.button.text } : undefined;
  const interactiveReply = interactive ? { id: interactive.id, title: interactive.title } : templateButton;
  const text = message.text?.body ?? interactiveReply?.title ?? attachment?.caption;
  if (text === undefined && !attachment && !message.location) return undefined;
  return {
    channel: 'whatsapp',
    externalId: message.id,
    sender: { address: `+${message.from.replace(/^\+/, '')}`, addressKind: 'phone', displayName },
    sentAt: message.timestamp ? new Date(Number(message.timestamp) * 1000).toISOString() : undefined,
    text,
    attachments: attachment ? [attachment] : [],
    interactiveReply,
    location: message.location,
    replyTo: message.context?.id,
    metadata: { type: message.type },
    raw: message,
  };
}

const STATUSES: Record<string, DeliveryStatusUpdate['status'] | undefined> = { sent: 'sent', delivered: 'delivered', read: 'read', failed: 'failed' };

export function toStatusUpdate(status: z.infer<typeof CloudStatusSchema>): DeliveryStatusUpdate | undefined {
  const mapped = STATUSES[status.status];
  if (!mapped) return undefined;
  const error = status.errors?.[0];
  return {
    channel: 'whatsapp',
    externalId: status.id,
    status: mapped,
    reason:
      mapped === 'failed'
        ? error
          ? `Meta ${error.code}: ${error.title ?? error.message ?? 'failed'}${error.error_data?.details ? ` (${error.error_data.details})` : ''}`
          : 'failed (Meta gave no reason)'
        : undefined,
    at: status.timestamp ? new Date(Number(status.timestamp) * 1000) : undefined,
  };
}
