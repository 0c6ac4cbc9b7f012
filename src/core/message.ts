import { z } from 'zod';

/** The normalized shapes every channel adapter speaks. Validation and types come from here. */

/**
 * Ids, addresses and keys are indexed. PostgreSQL's B-tree refuses an entry over about 2,700
 * bytes (https://www.postgresql.org/docs/current/btree.html#BTREE-IMPLEMENTATION): 512
 * characters of up to 4 UTF-8 bytes each fit, and SQLite is held to the same bound.
 */
export const MAX_KEY_LENGTH = 512;
/** Longest text of one inbound message (a long email with its quoted thread fits). */
export const MAX_TEXT_LENGTH = 200_000;
const key = () => z.string().min(1).max(MAX_KEY_LENGTH);
/** A provider id only looked up, never stored as a key: one too long to match anything stored is dropped. */
const lookupId = () => z.string().transform((id) => (id.length <= MAX_KEY_LENGTH ? id : undefined));

export const AddressKindSchema = z.enum(['phone', 'email', 'opaque']);

export const AttachmentSchema = z.object({
  kind: z.enum(['image', 'audio', 'video', 'document', 'sticker', 'other']),
  /** Where the content can be fetched (provider URL or a local file: URL). */
  url: z.string().min(1).optional(),
  mimeType: z.string().optional(),
  fileName: z.string().optional(),
  size: z.number().int().nonnegative().optional(),
  caption: z.string().optional(),
  /** Set when the content could not be fetched (the provider refused or failed): the message is kept, the reason says why. */
  failed: z.object({ reason: z.string(), at: z.iso.datetime({ offset: true }) }).optional(),
});
export type Attachment = z.infer<typeof AttachmentSchema>;

export const LocationSchema = z.object({
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  name: z.string().optional(),
  address: z.string().optional(),
});
export type Location = z.infer<typeof LocationSchema>;

/** A tap on a button or a list row: the id Parley gave it and the title the customer saw. */
export const InteractiveReplySchema = z.object({
  id: z.string().min(1),
  title: z.string().optional(),
});

export const ConsentActionSchema = z.enum(['opt_out', 'opt_in', 'help']);
export type ConsentAction = z.infer<typeof ConsentActionSchema>;
export const ConsentSchema = z.object({
  action: ConsentActionSchema,
  /** The answer carriers require; `provider` means the provider already sent it (Parley only records it). */
  reply: z.object({ text: z.string().min(1), sentBy: z.enum(['parley', 'provider']) }).optional(),
});

export const InboundMessageSchema = z
  .object({
    channel: key(),
    /** The provider's message id; a retried webhook carries the same one. */
    externalId: key(),
    sender: z.object({
      address: key(),
      addressKind: AddressKindSchema,
      displayName: z.string().optional(),
    }),
    /** When the provider says the customer sent it (ISO 8601). */
    sentAt: z.iso.datetime({ offset: true }).optional(),
    text: z.string().max(MAX_TEXT_LENGTH).optional(),
    subject: z.string().optional(),
    attachments: z.array(AttachmentSchema).default([]),
    interactiveReply: InteractiveReplySchema.optional(),
    location: LocationSchema.optional(),
    /** The provider id of the message this one answers or quotes. */
    replyTo: lookupId().optional(),
    /** A consent keyword (STOP, START, HELP): applied to the identity and answered, never handed to flows. */
    consent: ConsentSchema.optional(),
    /**
     * Threading hints for channels where the sender, not Parley, decides the conversation
     * (email). When given, the processor tries, in order: `references` (provider ids of
     * earlier messages, most relevant first), `token` (a Conversation.ref quoted by the
     * customer), the same identity with the same `subjectKey` active within `windowMs`;
     * otherwise it opens a new conversation. Only the sender's own customer's conversations match.
     */
    thread: z
      .object({
        references: z
          .array(z.string().min(1))
          .default([])
          .transform((ids) => ids.filter((id) => id.length <= MAX_KEY_LENGTH)),
        token: lookupId().optional(),
        /** Matched on its first MAX_KEY_LENGTH characters (it is indexed). */
        subjectKey: z
          .string()
          .min(1)
          .transform((k) => k.slice(0, MAX_KEY_LENGTH))
          .optional(),
        windowMs: z.number().int().positive().optional(),
      })
      .optional(),
    /** Sent by a machine (auto-reply, bulk, list): stored, but never answered by the bot or flows. */
    automated: z.boolean().default(false),
    /**
     * A change to an earlier message of the same sender (a reaction, an edit, a deletion),
     * named by the provider id of that message: stored and shown to agents, never handed to flows.
     */
    amends: z
      .object({
        kind: z.enum(['reaction', 'edit', 'revoke']),
        target: key(),
        /** The reaction's emoji; absent when the customer removed their reaction. */
        emoji: z.string().min(1).optional(),
        /** The edited text (or caption). */
        text: z.string().max(MAX_TEXT_LENGTH).optional(),
      })
      .optional(),
    /** The sender's address on this channel changed (e.g. a new phone number): their identity moves to `address`. */
    addressChange: z.object({ address: key() }).optional(),
    /** Name of the team a new conversation goes to (e.g. the mailbox's team); created if missing. */
    team: key().optional(),
    /** Channel-specific facts the core keeps but does not interpret (e.g. email headers). */
    metadata: z.record(z.string(), z.unknown()).default({}),
    /** The provider's payload as received, kept beside the normalized form. */
    raw: z.unknown(),
  })
  .refine((m) => m.text !== undefined || m.attachments.length > 0 || m.interactiveReply || m.location || m.amends || m.addressChange, {
    message: 'an inbound message needs text, an attachment, an interactive reply, a location, an amendment or an address change',
  });
export type InboundMessage = z.input<typeof InboundMessageSchema>;
export type ParsedInboundMessage = z.output<typeof InboundMessageSchema>;

export const ButtonSchema = z.object({ id: z.string().min(1), title: z.string().min(1) });
export const ListSchema = z.object({
  /** Label of the button that opens the list. */
  button: z.string().min(1),
  sections: z
    .array(
      z.object({
        title: z.string().optional(),
        rows: z.array(z.object({ id: z.string().min(1), title: z.string().min(1), description: z.string().optional() })).min(1),
      }),
    )
    .min(1),
});

/** What a handler (flow, agent, system) wants said; adapters render it within their capabilities. */
export const OutboundContentSchema = z
  .object({
    text: z.string().optional(),
    /** The same words as HTML, for channels that send an HTML part (email); `text` stays the plain form. */
    html: z.string().optional(),
    format: z.enum(['plain', 'markdown']).default('plain'),
    attachments: z.array(AttachmentSchema).default([]),
    buttons: z.array(ButtonSchema).optional(),
    list: ListSchema.optional(),
    /** A pre-approved provider template (e.g. WhatsApp outside the 24-hour window; src/contact/templates.ts). */
    template: z
      .object({
        name: z.string().min(1),
        language: z.string().min(1),
        params: z.array(z.string()).default([]),
        /** Parameters of the template's buttons by index: a quick reply's payload, a dynamic URL's suffix. */
        buttons: z
          .array(
            z.discriminatedUnion('type', [
              z.object({ type: z.literal('quick_reply'), index: z.number().int().nonnegative(), payload: z.string().min(1) }),
              z.object({ type: z.literal('url'), index: z.number().int().nonnegative(), text: z.string().min(1) }),
            ]),
          )
          .default([]),
      })
      .optional(),
    /** What the message is for (reply, winback, welcome, ...): picks the template when a channel's window is closed. */
    purpose: z.string().min(1).optional(),
  })
  .refine((c) => c.text !== undefined || c.attachments.length > 0 || c.template, {
    message: 'an outbound message needs text, an attachment or a template',
  });
export type OutboundContent = z.input<typeof OutboundContentSchema>;

/** One send as the outbox hands it to an adapter. */
export interface OutboundMessage {
  /** Parley's message id (stable across retries: adapters can use it as an idempotency key). */
  readonly messageId: string;
  readonly conversationId: string;
  readonly channel: string;
  readonly recipient: string;
  readonly content: z.output<typeof OutboundContentSchema>;
  /** Provider id of the last inbound message, for channels that thread replies. */
  readonly replyTo?: string;
  readonly subject?: string;
  /** The sending agent's display name, for channels that can show it. */
  readonly authorName?: string;
  /** Who wrote it: 'bot' and 'system' sends are automatic (mail loop guards count them). */
  readonly authorKind?: 'customer' | 'bot' | 'agent' | 'system';
  readonly attempt: number;
  /** Aborted when the send's deadline passes (PARLEY_SEND_TIMEOUTS): pass it to the HTTP call. */
  readonly signal?: AbortSignal;
}

export const DeliveryStatusValues = ['sent', 'delivered', 'read', 'failed'] as const;
export const DeliveryStatusUpdateSchema = z.object({
  channel: z.string().min(1),
  externalId: z.string().min(1),
  status: z.enum(DeliveryStatusValues),
  reason: z.string().optional(),
  at: z.date().optional(),
});
export type DeliveryStatusUpdate = z.input<typeof DeliveryStatusUpdateSchema>;
