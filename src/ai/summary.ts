import { z } from 'zod';
import { classifyByKeywords, SENTIMENTS } from '../flows/intent.ts';
import type { AiClient } from './client.ts';
import { collectedText, type ConversationView, transcriptText } from './transcript.ts';

/** What the model writes for the agent's card (validated; anything else is rejected). */
export const ModelSummarySchema = z.object({
  /** One sentence: what the customer wants. */
  wants: z.string().min(1).max(400),
  mood: z.enum(SENTIMENTS),
  /** At most three short lines: the situation as the agent needs it. */
  lines: z.array(z.string().min(1).max(300)).max(3),
});

/** The summary on a handed-off conversation's card, as stored in HandoffSummary.summary. */
export const HandoffSummarySchema = ModelSummarySchema.extend({
  /** What the bot collected (answers by name), exactly as collected: never rewritten by the model. */
  collected: z.record(z.string(), z.string()),
  /** The language `wants` and `lines` are written in: the agent's, or the customer's for a fallback. */
  language: z.string(),
  /** The customer's language, for the reply. */
  customerLanguage: z.string().optional(),
  source: z.enum(['model', 'fallback']),
});
export type HandoffSummary = z.infer<typeof HandoffSummarySchema>;

const LANGUAGE_NAMES: Record<string, string> = { en: 'English', fa: 'Persian (Farsi)', ar: 'Arabic' };
export const languageName = (code: string) => LANGUAGE_NAMES[code] ?? code;

export async function summarize(
  client: AiClient,
  view: ConversationView,
  collected: Readonly<Record<string, string>>,
  agentLocale: string,
): Promise<HandoffSummary> {
  const result = await client.structured(
    'summary',
    ModelSummarySchema,
    'handoff_summary',
    [
      {
        role: 'system',
        content:
          `You brief a helpdesk agent who takes over a conversation from a bot. Write in ${languageName(agentLocale)}. ` +
          "wants: one sentence, what the customer wants. mood: the customer's mood (negative, neutral, positive). " +
          'lines: up to three short lines with what the agent must know (what happened, what was tried, what is open). ' +
          'Do not invent facts. Placeholders such as [email], [phone] and [card] stand for masked personal data.',
      },
      { role: 'user', content: `Collected by the bot:\n${collectedText(collected)}\n\nConversation:\n${transcriptText(view)}` },
    ],
    view.channel,
  );
  if (result.ok) {
    return { ...result.value, collected: { ...collected }, language: agentLocale, customerLanguage: view.customerLocale, source: 'model' };
  }
  return fallbackSummary(view, collected);
}

const FALLBACK_LINES = 3;
const FALLBACK_WANTS_CHARS = 300;

/**
 * Without a model: the customer's own last words (in their language), what was collected,
 * and a mood told by the keyword lexicons (complaint: negative, feedback: positive).
 */
export function fallbackSummary(view: ConversationView, collected: Readonly<Record<string, string>>): HandoffSummary {
  const said = view.messages
    .filter((m) => m.author === 'customer')
    .map((m) => m.text.trim())
    .filter(Boolean);
  const last = said.slice(-FALLBACK_LINES);
  const intent = classifyByKeywords(last.join('\n')).intent;
  const wants = (said.at(-1) ?? '').slice(0, FALLBACK_WANTS_CHARS) || '(no text from the customer)';
  return {
    wants,
    mood: intent === 'complaint' ? 'negative' : intent === 'feedback' ? 'positive' : 'neutral',
    lines: last,
    collected: { ...collected },
    language: view.customerLocale ?? 'und',
    customerLanguage: view.customerLocale,
    source: 'fallback',
  };
}
