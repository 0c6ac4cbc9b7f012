import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Attachment, DeliveryStatusUpdate, InboundMessage } from '../../src/core/message.ts';
import { ContactCardSchema, contactCardsText, OrderSchema, orderText } from './cards.ts';

/**
 * The Cloud API's webhook body (field "messages"); unknown fields pass through untouched.
 * Reference: https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages
 */
const MediaSchema = z.object({
  id: z.string().min(1),
  mime_type: z.string().optional(),
  caption: z.string().optional(),
  filename: z.string().optional(),
  // Sent as a number or a string of digits.
  file_size: z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/, 'digits').transform(Number)]).optional(),
});

const ErrorSchema = z.object({
  code: z.number(),
  title: z.string().optional(),
  message: z.string().optional(),
  error_data: z.object({ details: z.string() }).partial().optional(),
});

/** The message content shared by a message and the new version in an edit. */
const ContentFields = {
  text: z.object({ body: z.string() }).optional(),
  image: MediaSchema.optional(),
  audio: MediaSchema.optional(),
  video: MediaSchema.optional(),
  document: MediaSchema.optional(),
  sticker: MediaSchema.optional(),
};

export const CloudMessageSchema = z
  .object({
    /** The sender's phone number; absent for a user known only by a business-scoped user id (BSUID). */
    from: z.string().min(1).optional(),
    /** The sender's BSUID (https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids). */
    from_user_id: z.string().min(1).optional(),
    id: z.string().min(1),
    timestamp: z.string().regex(/^\d+$/, 'seconds since 1970 as digits').optional(),
    type: z.string(),
    ...ContentFields,
    interactive: z
      .object({
        type: z.string(),
        button_reply: z.object({ id: z.string(), title: z.string() }).optional(),
        list_reply: z.object({ id: z.string(), title: z.string(), description: z.string().optional() }).optional(),
      })
      .optional(),
    button: z.object({ payload: z.string().optional(), text: z.string() }).optional(),
    location: z
      .object({ latitude: z.number(), longitude: z.number(), name: z.string().optional(), address: z.string().optional(), url: z.string().optional() })
      .optional(),
    contacts: z.array(ContactCardSchema).optional(),
    order: OrderSchema.optional(),
    reaction: z.object({ message_id: z.string().min(1), emoji: z.string().optional() }).optional(),
    edit: z.object({ original_message_id: z.string().min(1), message: z.object({ type: z.string().optional(), ...ContentFields }).optional() }).optional(),
    revoke: z.object({ original_message_id: z.string().min(1) }).optional(),
    system: z
      .object({
        body: z.string().optional(),
        type: z.string().optional(),
        wa_id: z.string().optional(),
        user_id: z.string().optional(),
        previous_user_id: z.string().optional(),
      })
      .optional(),
    errors: z.array(ErrorSchema).optional(),
    context: z
      .object({ id: z.string().optional(), from: z.string().optional(), forwarded: z.boolean().optional(), frequently_forwarded: z.boolean().optional() })
      .optional(),
    /** Click-to-WhatsApp ad or post the customer came from. */
    referral: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((m) => m.from || m.from_user_id || m.system?.previous_user_id, { message: 'the message names no sender (from or from_user_id)' });
export type CloudMessage = z.infer<typeof CloudMessageSchema>;

export const CloudStatusSchema = z.object({
  id: z.string().min(1),
  status: z.string(),
  timestamp: z.string().optional(),
  recipient_id: z.string().optional(),
  errors: z.array(ErrorSchema).optional(),
});

/** The sender's profile; `user_id` is the BSUID, the only id of a user who hides their number. */
export const ContactSchema = z.object({
  wa_id: z.string().optional(),
  user_id: z.string().optional(),
  profile: z.object({ name: z.string() }).partial().optional(),
});

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

/** The sender's address: the phone number when Meta gives it, else the BSUID (an opaque id). */
export function senderOf(message: CloudMessage): { address: string; addressKind: 'phone' | 'opaque' } {
  if (message.from) return { address: `+${message.from.replace(/^\+/, '')}`, addressKind: 'phone' };
  return { address: (message.from_user_id ?? message.system?.previous_user_id) as string, addressKind: 'opaque' };
}

/** The id the contacts array uses for this sender (wa_id, or user_id for a BSUID-only sender). */
export const contactKeyOf = (message: CloudMessage): string | undefined => message.from ?? message.from_user_id;

/** A decoded message, or why Parley deliberately does not store it (logged at debug). */
export type Decoded = { readonly inbound: InboundMessage } | { readonly ignored: string };

/** System notices that change nothing Parley keeps. */
const IGNORED_SYSTEM: Record<string, string> = {
  customer_identity_changed: "the user's security code changed (WhatsApp shows it to the business only)",
};

const unsupportedText = (message: CloudMessage): string => {
  const error = message.errors?.[0];
  const why = error ? `: ${error.title ?? error.message ?? 'unknown'} (${error.code})${error.error_data?.details ? ` ${error.error_data.details}` : ''}` : '';
  return `[${message.type === 'unsupported' ? 'unsupported' : message.type} message Parley cannot show${why}]`;
};

/**
 * A Cloud API message as Parley's InboundMessage; `attachment` is the downloaded media (or
 * one marked failed). Every documented type becomes something an agent can see; the few that
 * carry nothing for them are returned as `ignored` with the reason.
 */
export function toInbound(message: CloudMessage, displayName: string | undefined, attachment: Attachment | undefined): Decoded {
  if (message.type === 'request_welcome') return { ignored: 'the user opened the chat for the first time (no message yet)' };
  const systemType = message.system?.type;
  if (message.type === 'system' && systemType && IGNORED_SYSTEM[systemType]) return { ignored: IGNORED_SYSTEM[systemType] };

  const interactive = message.interactive?.button_reply ?? message.interactive?.list_reply;
  const templateButton = message.button ? { id: message.button.payload ?? message.button.text, title: message.button.text } : undefined;
  const interactiveReply = interactive ? { id: interactive.id, title: interactive.title } : templateButton;
  const amends = amendmentOf(message);
  const addressChange =
    systemType === 'user_changed_number' && message.system?.wa_id
      ? { address: `+${message.system.wa_id.replace(/^\+/, '')}` }
      : systemType === 'user_changed_user_id' && message.system?.user_id
        ? { address: message.system.user_id }
        : undefined;
  let text =
    message.text?.body ??
    interactiveReply?.title ??
    attachment?.caption ??
    (message.contacts?.length ? contactCardsText(message.contacts) : undefined) ??
    (message.order ? orderText(message.order) : undefined) ??
    (addressChange ? message.system?.body : undefined);
  if (text === undefined && !attachment && !message.location && !amends && !addressChange) text = unsupportedText(message);

  const metadata: Record<string, unknown> = { type: message.type };
  if (message.context?.forwarded) metadata.forwarded = true;
  if (message.context?.frequently_forwarded) metadata.frequentlyForwarded = true;
  if (message.referral) metadata.referral = message.referral;
  if (message.contacts?.length) metadata.contacts = message.contacts;
  if (message.order) metadata.order = message.order;
  if (message.errors?.length) metadata.errors = message.errors;
  if (message.from_user_id) metadata.userId = message.from_user_id;

  return {
    inbound: {
      channel: 'whatsapp',
      externalId: message.id,
      sender: { ...senderOf(message), displayName },
      sentAt: message.timestamp ? new Date(Number(message.timestamp) * 1000).toISOString() : undefined,
      text,
      attachments: attachment ? [attachment] : [],
      interactiveReply,
      location: message.location
        ? { latitude: message.location.latitude, longitude: message.location.longitude, name: message.location.name, address: message.location.address }
        : undefined,
      replyTo: message.context?.id,
      amends,
      addressChange,
      metadata,
      raw: message,
    },
  };
}

function amendmentOf(message: CloudMessage): InboundMessage['amends'] {
  if (message.type === 'reaction' && message.reaction)
    return { kind: 'reaction', target: message.reaction.message_id, emoji: message.reaction.emoji || undefined };
  if (message.type === 'edit' && message.edit) {
    const edited = message.edit.message;
    const media = edited && (edited.image ?? edited.video ?? edited.document ?? edited.audio ?? edited.sticker);
    return { kind: 'edit', target: message.edit.original_message_id, text: edited?.text?.body ?? media?.caption };
  }
  if (message.type === 'revoke' && message.revoke) return { kind: 'revoke', target: message.revoke.original_message_id };
  return undefined;
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
