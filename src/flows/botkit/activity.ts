import type { Activity } from 'botbuilder-core';
import type { BotkitMessage } from 'botkit';
import { z } from 'zod';
import type { ChannelCapabilities } from '../../core/channel.ts';
import type { Attachment, OutboundContent } from '../../core/message.ts';
import { foldForMatch } from '../../core/text.ts';
import type { HandoffRequest, Turn } from '../../pipeline/handler.ts';

/** Bot Framework's name for a hand-off request (botbuilder's EventFactory.createHandoffInitiation). */
export const HANDOFF_EVENT = 'handoff.initiate';

/**
 * The message a dialog says to hand the conversation to people, e.g. in `convo.after`:
 * `await bot.say(handOff({ team: 'billing', collected: { order: results.order } }))`.
 */
export function handOff(request: HandoffRequest): Partial<BotkitMessage> {
  // Botkit types `value` as a string; Bot Framework events carry any JSON value.
  return { type: 'event', name: HANDOFF_EVENT, value: request as unknown as string };
}

/** A choice offered with a prompt, as Botkit writes it in `channelData.quick_replies`. */
export interface QuickReply {
  readonly title: string;
  readonly payload: string;
}

const QuickRepliesSchema = z.array(z.object({ title: z.coerce.string().min(1), payload: z.coerce.string().min(1) }));

const HandoffValueSchema = z
  .object({
    team: z.string().min(1).optional(),
    priority: z.enum(['low', 'normal', 'high', 'urgent']).optional(),
    note: z.string().optional(),
    // Dialog variables may be numbers or booleans: the agent's card shows text.
    collected: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).optional(),
  })
  .default({});

/** The Bot Framework activity Botkit sees for a customer message. */
export function activityOf(turn: Turn): Partial<Activity> {
  const { inbound } = turn;
  return {
    type: 'message',
    id: turn.message.externalId,
    channelId: inbound.channel,
    conversation: { id: turn.conversation.id, isGroup: false, conversationType: 'personal', name: turn.conversation.subject ?? '' },
    from: { id: turn.customer.id, name: turn.customer.name ?? turn.identity.address },
    recipient: { id: 'parley', name: 'Parley' },
    text: inbound.interactiveReply?.id ?? turn.message.text ?? '',
    value: inbound.interactiveReply ? { ...inbound.interactiveReply } : undefined,
    locale: turn.locale,
    timestamp: turn.message.receivedAt,
    attachments: inbound.attachments.map((a) => ({ contentType: a.mimeType ?? a.kind, contentUrl: a.url, name: a.fileName ?? a.caption })),
    channelData: {
      parley: {
        messageId: turn.message.id,
        customerId: turn.customer.id,
        address: turn.identity.address,
        ...(inbound.location ? { location: inbound.location } : {}),
      },
    },
  };
}

/**
 * What the customer chose, as the payload Botkit's handlers expect: a tapped button's id,
 * else typed text that names an offered choice by its number ("2", "۲", "٢") or its title.
 */
export function answerText(turn: Turn, offered: readonly QuickReply[]): string | undefined {
  const reply = turn.inbound.interactiveReply;
  if (reply) return reply.id;
  const text = turn.message.text;
  if (text === undefined || offered.length === 0) return text;
  const folded = foldForMatch(text);
  const byNumber = /^\d+$/.test(folded) ? offered[Number(folded) - 1] : undefined;
  return (byNumber ?? offered.find((o) => foldForMatch(o.title) === folded))?.payload ?? text;
}

/** The choices an outgoing activity offers (Botkit's quick replies, else suggested actions). */
export function quickRepliesOf(activity: Partial<Activity>): QuickReply[] {
  const fromChannelData = (activity.channelData as { quick_replies?: unknown } | undefined)?.quick_replies;
  const raw = fromChannelData ?? activity.suggestedActions?.actions.map((a) => ({ title: a.title ?? String(a.value), payload: String(a.value ?? a.title) }));
  if (raw === undefined) return [];
  const parsed = QuickRepliesSchema.safeParse(raw);
  if (!parsed.success)
    throw new Error(`Botkit quick_replies must be [{ title, payload }]: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

const CHOOSE_LABEL: Record<string, string> = { en: 'Choose', fa: 'انتخاب کنید', ar: 'اختر' };

/**
 * A Botkit message as Parley content: text as is, quick replies as buttons when the channel
 * shows that many, else as a list when it has lists, else as buttons the channel renders as
 * numbered lines. Undefined when there is nothing to say (typing indicators and the like).
 */
export function contentOf(activity: Partial<Activity>, capabilities: ChannelCapabilities | undefined, locale: string): OutboundContent | undefined {
  if ((activity.type ?? 'message') !== 'message') return undefined;
  const attachments = (activity.attachments ?? []).flatMap((a): Attachment[] =>
    a.contentUrl ? [{ kind: attachmentKind(a.contentType), url: a.contentUrl, mimeType: a.contentType, fileName: a.name }] : [],
  );
  const text = activity.text || undefined;
  if (text === undefined && attachments.length === 0) return undefined;
  const choices = quickRepliesOf(activity).map((q) => ({ id: q.payload, title: q.title }));
  const content: OutboundContent = { text, attachments, format: activity.textFormat === 'markdown' ? 'markdown' : 'plain' };
  if (choices.length === 0) return content;
  const buttonMax = capabilities?.buttons?.max ?? 0;
  if (choices.length > buttonMax && capabilities?.list && choices.length <= capabilities.list.maxRows) {
    return { ...content, list: { button: CHOOSE_LABEL[locale] ?? (CHOOSE_LABEL.en as string), sections: [{ rows: choices }] } };
  }
  return { ...content, buttons: choices };
}

function attachmentKind(contentType: string | undefined): Attachment['kind'] {
  const type = contentType?.split('/')[0];
  return type === 'image' || type === 'audio' || type === 'video' ? type : contentType ? 'document' : 'other';
}

/** A `handoff.initiate` event's value as Parley's hand-off request; a clear error when malformed. */
export function handoffRequestOf(activity: Partial<Activity>): HandoffRequest | undefined {
  if (activity.type !== 'event' || activity.name !== HANDOFF_EVENT) return undefined;
  const parsed = HandoffValueSchema.safeParse(activity.value ?? undefined);
  if (!parsed.success) {
    throw new Error(
      `Botkit ${HANDOFF_EVENT} event: value must be { team?, priority?, note?, collected? }: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ')}`,
    );
  }
  const { team, priority, note, collected } = parsed.data;
  return { ...(team ? { team } : {}), ...(priority ? { priority } : {}), ...(note !== undefined ? { note } : {}), ...(collected ? { collected } : {}) };
}
