import { z } from 'zod';
import { detectLocale } from '../core/locale.ts';
import type { AiClient } from './client.ts';
import { languageName } from './summary.ts';
import { type ConversationView, transcriptText } from './transcript.ts';

export const ModelReplySchema = z.object({ reply: z.string().min(1).max(2000) });

export interface SuggestedReply {
  /** A draft for the agent to send as is or edit; never sent by Parley itself. */
  readonly text: string;
  /** The customer's language, which the draft is written in. */
  readonly language: string;
  readonly source: 'model';
}

/**
 * A draft answer to the customer's last messages, in the customer's language; undefined
 * without a model (there is no deterministic draft) or when the model's draft is in
 * another language than asked.
 */
export async function suggest(client: AiClient, view: ConversationView, fallbackLocale: string): Promise<SuggestedReply | undefined> {
  if (!client.enabledFor(view.channel) || !view.messages.some((m) => m.author === 'customer')) return undefined;
  const language = view.customerLocale ?? fallbackLocale;
  const result = await client.structured(
    'reply',
    ModelReplySchema,
    'suggested_reply',
    [
      {
        role: 'system',
        content:
          `You draft the next reply of a helpdesk agent to a customer. Write only in ${languageName(language)}, ` +
          'politely and briefly, answering what the customer asked last. Do not promise refunds, dates or actions nobody confirmed. ' +
          'Placeholders such as [email], [phone] and [card] stand for masked personal data: never write them into the reply.',
      },
      { role: 'user', content: `Conversation:\n${transcriptText(view)}` },
    ],
    view.channel,
  );
  if (!result.ok) return undefined;
  const written = detectLocale(result.value.reply);
  // en/fa/ar are told by script: a draft in the wrong one is rejected like a malformed answer.
  if (written && ['en', 'fa', 'ar'].includes(language) && written !== language) return undefined;
  return { text: result.value.reply.trim(), language, source: 'model' };
}
