import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { newId } from '../core/ids.ts';
import type { Database } from '../db/database.ts';
import type { IntentClassifier } from '../flows/intent.ts';
import type { EventBus } from '../pipeline/events.ts';
import { TokenBudget } from './budget.ts';
import { ModelIntentClassifier } from './classify.ts';
import { AiClient } from './client.ts';
import { suggest, type SuggestedReply } from './suggest.ts';
import { fallbackSummary, type HandoffSummary, HandoffSummarySchema, summarize } from './summary.ts';
import { loadConversation } from './transcript.ts';

export const HANDOFF_SUMMARY_SUBSCRIBER = 'ai-summary';

/**
 * AI assist for one Parley process: the message classifier the flow engine uses, hand-off
 * summaries (stored when a conversation is handed off) and suggested replies for the agent
 * desk. Everything works without a model: fallbacks are deterministic.
 */
export class AiAssist {
  readonly client: AiClient;
  readonly classifier: IntentClassifier;

  constructor(
    private readonly db: Database,
    private readonly config: Config,
    private readonly logger: Logger,
    now: () => Date = () => new Date(),
  ) {
    this.client = new AiClient({
      apiKey: config.OPENAI_API_KEY,
      baseURL: config.OPENAI_BASE_URL,
      enabled: config.PARLEY_AI_ENABLED === 'true',
      channels: config.PARLEY_AI_CHANNELS,
      models: {
        classify: config.OPENAI_CLASSIFY_MODEL ?? config.OPENAI_MODEL,
        summary: config.OPENAI_SUMMARY_MODEL ?? config.OPENAI_MODEL,
        reply: config.OPENAI_REPLY_MODEL ?? config.OPENAI_MODEL,
      },
      timeoutMs: config.OPENAI_TIMEOUT,
      maxRetries: config.OPENAI_MAX_RETRIES,
      cacheSize: config.PARLEY_AI_CACHE_SIZE,
      cacheTtlMs: config.PARLEY_AI_CACHE_TTL,
      budget: new TokenBudget(db, config.OPENAI_DAILY_TOKEN_BUDGET),
      logger,
      now,
    });
    this.classifier = new ModelIntentClassifier(this.client, logger);
  }

  /** Stores a summary for every hand-off (before the desk's own subscriber, when registered first). */
  register(events: EventBus): void {
    events.subscribe('conversation.handed_off', HANDOFF_SUMMARY_SUBSCRIBER, async (event, ctx) => {
      const summary = await this.summarizeHandoff(event.conversationId, this.config.PARLEY_AGENT_LOCALE, event.collected);
      if (!summary) return;
      await ctx.write(async (tx) => {
        await tx.handoffSummary.create({
          data: { id: newId(), conversationId: event.conversationId, locale: summary.language, source: summary.source, summary, createdAt: ctx.now },
        });
      });
    });
  }

  /**
   * A summary of the conversation for the agent, in `agentLocale` when a model writes it; the
   * deterministic fallback otherwise. `collected` defaults to what the newest stored summary
   * holds. undefined when the conversation does not exist.
   */
  async summarizeHandoff(conversationId: string, agentLocale: string, collected?: Readonly<Record<string, string>>): Promise<HandoffSummary | undefined> {
    const view = await loadConversation(this.db, conversationId);
    if (!view) return undefined;
    const known = collected ?? (await this.storedSummary(conversationId))?.collected ?? {};
    try {
      return await summarize(this.client, view, known, agentLocale);
    } catch (error) {
      this.logger.error({ err: error, conversationId }, 'ai: summary failed; deterministic summary used');
      return fallbackSummary(view, known);
    }
  }

  /** A draft reply in the customer's language, or undefined (no model, AI off for the channel, no usable draft). */
  async suggestReply(conversationId: string): Promise<SuggestedReply | undefined> {
    const view = await loadConversation(this.db, conversationId);
    if (!view) return undefined;
    return suggest(this.client, view, this.config.PARLEY_DEFAULT_LOCALE);
  }

  /** The newest summary stored for the conversation's hand-offs (what the desk's card shows). */
  async storedSummary(conversationId: string): Promise<HandoffSummary | undefined> {
    const row = await this.db.prisma.handoffSummary.findFirst({ where: { conversationId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
    if (!row) return undefined;
    const parsed = HandoffSummarySchema.safeParse(row.summary);
    return parsed.success ? parsed.data : undefined;
  }
}
