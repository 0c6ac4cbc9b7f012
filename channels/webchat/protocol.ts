import { z } from 'zod';

/**
 * What the widget and the server say to each other, the same over the WebSocket and the
 * HTTP fallback. `clientId` is made by the page per message: a resend after a reconnect
 * carries the same one and is stored once.
 */
export const ClientIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'clientId: 8-64 letters, digits, _ or -');

export const ClientFrameSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('message'),
    clientId: ClientIdSchema,
    text: z.string().min(1).optional(),
    /** A tapped button, list row or quick reply. */
    reply: z.object({ id: z.string().min(1).max(256), title: z.string().max(256).optional() }).optional(),
    /** A file uploaded before through POST /webchat/files. */
    file: z
      .object({ ref: z.string().min(1).max(1024), name: z.string().max(255), mimeType: z.string().max(255), size: z.number().int().nonnegative() })
      .optional(),
  }),
  /** Everything after this transcript position, then live updates. */
  z.object({ type: z.literal('resume'), after: z.number().int().nonnegative() }),
  /** The page showed (received) or the visitor saw (read) everything up to this position. */
  z.object({ type: z.enum(['received', 'read']), after: z.number().int().nonnegative().default(0), upTo: z.number().int().nonnegative() }),
  z.object({ type: z.literal('ping') }),
]);
export type ClientFrame = z.infer<typeof ClientFrameSchema>;

export const EntryAttachmentSchema = z.object({
  kind: z.enum(['image', 'audio', 'video', 'document', 'sticker', 'other']),
  /** Where the widget fetches it (a signed /webchat/files URL or the provider's https URL). */
  url: z.string().optional(),
  name: z.string().optional(),
  mimeType: z.string().optional(),
  caption: z.string().optional(),
});

/** One line of a visitor's transcript, as kept in the channel state and sent to the page. */
export const EntrySchema = z.object({
  seq: z.number().int().positive(),
  from: z.enum(['visitor', 'bot', 'agent']),
  at: z.string(),
  clientId: z.string().optional(),
  /** Parley's message id of a reply (its externalId), for delivery statuses and send retries. */
  messageId: z.string().optional(),
  text: z.string().optional(),
  authorName: z.string().optional(),
  buttons: z.array(z.object({ id: z.string(), title: z.string() })).optional(),
  list: z
    .object({
      button: z.string(),
      sections: z.array(
        z.object({ title: z.string().optional(), rows: z.array(z.object({ id: z.string(), title: z.string(), description: z.string().optional() })) }),
      ),
    })
    .optional(),
  attachments: z.array(EntryAttachmentSchema).optional(),
  /** The language the reply is written in (fa/ar turn the widget right-to-left). */
  locale: z.string().optional(),
});
export type Entry = z.infer<typeof EntrySchema>;

export type ServerFrame =
  | { readonly type: 'ack'; readonly clientId: string; readonly seq: number }
  | { readonly type: 'entries'; readonly entries: readonly Entry[] }
  | { readonly type: 'error'; readonly clientId?: string; readonly code: string; readonly message: string; readonly retryAfterMs?: number }
  | { readonly type: 'pong' };
