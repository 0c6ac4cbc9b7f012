import type { Logger } from 'pino';
import { z } from 'zod';
import type { Priority } from '../generated/sqlite/enums.ts';
import { type Classification, type ClassifyContext, classifyByKeywords, INTENTS, type IntentClassifier, SENTIMENTS, URGENCIES } from '../flows/intent.ts';
import type { AiClient } from './client.ts';

export const ModelClassificationSchema = z.object({
  intent: z.enum(INTENTS),
  sentiment: z.enum(SENTIMENTS),
  urgency: z.enum(URGENCIES),
  language: z.string().min(2).max(8),
  confidence: z.number().min(0).max(1),
});

const SYSTEM_PROMPT = [
  'You classify one message a customer sent to a helpdesk. It may be in English, Persian, Arabic or another language.',
  'intent: complaint (something went wrong, they are unhappy with a product, order or service), question (asks for information),',
  'feedback (praise, thanks or suggestions), purchase (wants to buy, order, or asks a price or availability),',
  'human (asks to talk to a person, an agent or an operator), other (greetings and anything else).',
  'sentiment: negative, neutral or positive. urgency: high when they report harm, money lost, a safety issue, a deadline',
  'today, or threaten to leave or escalate; low when nothing is time-sensitive; otherwise normal.',
  'language: the ISO 639-1 code of the language the message is written in. confidence: 0 to 1.',
  'Placeholders such as [email], [phone] and [card] stand for masked personal data.',
].join(' ');

/**
 * Classifies with the model (intent, sentiment, urgency, language) and falls back to the
 * keyword classifier when AI is off for the channel, the budget is spent, or the model is
 * slow, failing or answers out of schema.
 */
export class ModelIntentClassifier implements IntentClassifier {
  constructor(
    private readonly client: AiClient,
    private readonly logger: Logger,
  ) {}

  async classify(text: string, locale: string, context: ClassifyContext = {}): Promise<Classification> {
    if (!text.trim() || !this.client.enabledFor(context.channel)) return classifyByKeywords(text);
    const result = await this.client.structured(
      'classify',
      ModelClassificationSchema,
      'message_classification',
      [
        { role: 'system', content: SYSTEM_PROMPT },
        { role: 'user', content: `Customer's known language: ${locale}.\nMessage:\n${text}` },
      ],
      context.channel,
    );
    if (!result.ok) {
      this.logger.debug({ reason: result.reason }, 'ai: classification by keywords');
      return classifyByKeywords(text);
    }
    const { intent, sentiment, urgency, language, confidence } = result.value;
    return { intent, sentiment, urgency, language: language.toLowerCase(), confidence, source: 'model' };
  }
}

const PRIORITY_ORDER: readonly Priority[] = ['low', 'normal', 'high', 'urgent'];

/**
 * The priority a hand-off gets from how the customer's message reads: high urgency and a
 * negative mood together make it urgent; either one alone (negative only for complaints)
 * makes it high. It only ever raises `current`, never lowers it.
 */
export function raisePriority(current: Priority, classification: Classification | undefined): Priority {
  if (!classification) return current;
  const { urgency, sentiment, intent } = classification;
  const urgent = urgency === 'high';
  const negative = sentiment === 'negative';
  const suggested: Priority = urgent && negative ? 'urgent' : urgent || (negative && intent === 'complaint') ? 'high' : 'normal';
  return PRIORITY_ORDER.indexOf(suggested) > PRIORITY_ORDER.indexOf(current) ? suggested : current;
}
