import { createHash } from 'node:crypto';
import type OpenAI from 'openai';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { TokenBudget } from './budget.ts';
import { AnswerCache } from './cache.ts';
import { maskPersonalData } from './mask.ts';

export type AiTask = 'classify' | 'summary' | 'reply';

export interface AiClientOptions {
  readonly apiKey: string | undefined;
  readonly baseURL: string | undefined;
  readonly enabled: boolean;
  /** Channels that may use AI; undefined: all. */
  readonly channels: readonly string[] | undefined;
  readonly models: Readonly<Record<AiTask, string>>;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly cacheSize: number;
  readonly cacheTtlMs: number;
  readonly budget: TokenBudget;
  readonly logger: Logger;
  readonly now: () => Date;
}

export interface ChatMessage {
  readonly role: 'system' | 'user';
  readonly content: string;
}

/** Why no model answer is available; callers then use their deterministic fallback. */
export type AiSkipReason = 'off' | 'channel_off' | 'budget_spent' | 'timeout' | 'api_error' | 'malformed';

export type AiResult<T> =
  { readonly ok: true; readonly value: T; readonly cached: boolean } | { readonly ok: false; readonly reason: AiSkipReason; readonly detail: string };

class DeadlinePassed extends Error {}

/** What the client uses of the OpenAI SDK. */
interface OpenAiSdk {
  readonly openai: OpenAI;
  readonly APIError: typeof OpenAI.APIError;
  readonly zodResponseFormat: typeof import('openai/helpers/zod').zodResponseFormat;
}

/** Imports the SDK (a few MB of modules) and makes its client. */
async function openAiSdk(options: AiClientOptions): Promise<OpenAiSdk> {
  const [{ default: OpenAISdk }, { zodResponseFormat }] = await Promise.all([import('openai'), import('openai/helpers/zod')]);
  const openai = new OpenAISdk({ apiKey: options.apiKey, baseURL: options.baseURL, timeout: options.timeoutMs, maxRetries: options.maxRetries });
  return { openai, APIError: OpenAISdk.APIError, zodResponseFormat };
}

/**
 * The one way Parley talks to a model: masks personal data out of every message, stays
 * within the daily token budget, the per-call deadline (retries included) and the cache,
 * asks for structured output by a zod schema and rejects answers that do not match it.
 * It never throws for the model's sake: a failure is a result the caller falls back on.
 */
export class AiClient {
  readonly #on: boolean;
  /** Loaded at the first model call: a process with AI off never imports the SDK. */
  #sdk: Promise<OpenAiSdk> | undefined;
  readonly #cache: AnswerCache<unknown>;

  constructor(private readonly options: AiClientOptions) {
    this.#on = Boolean(options.apiKey && options.enabled);
    this.#cache = new AnswerCache(options.cacheSize, options.cacheTtlMs, () => options.now().getTime());
  }

  /** Whether AI may be used at all, and for a conversation on `channel`. */
  enabledFor(channel?: string): boolean {
    if (!this.#on) return false;
    return !channel || !this.options.channels || this.options.channels.includes(channel);
  }

  get enabled(): boolean {
    return this.#on;
  }

  async structured<S extends z.ZodType>(
    task: AiTask,
    schema: S,
    schemaName: string,
    messages: readonly ChatMessage[],
    channel?: string,
  ): Promise<AiResult<z.output<S>>> {
    if (!this.#on) return { ok: false, reason: 'off', detail: 'AI assist is off (OPENAI_API_KEY unset or PARLEY_AI_ENABLED=false)' };
    if (!this.enabledFor(channel)) return { ok: false, reason: 'channel_off', detail: `AI assist is off for channel "${channel}" (PARLEY_AI_CHANNELS)` };
    const model = this.options.models[task];
    const masked = messages.map((m) => ({ role: m.role, content: maskPersonalData(m.content) }));
    const key = createHash('sha256')
      .update(JSON.stringify([model, schemaName, masked]))
      .digest('hex');
    const hit = this.#cache.get(key);
    if (hit !== undefined) return { ok: true, value: hit as z.output<S>, cached: true };
    if (!(await this.options.budget.allows(this.options.now()))) {
      return { ok: false, reason: 'budget_spent', detail: 'the daily token budget (OPENAI_DAILY_TOKEN_BUDGET) is spent' };
    }

    this.#sdk ??= openAiSdk(this.options);
    const { openai, APIError, zodResponseFormat } = await this.#sdk;
    const deadline = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        deadline.abort();
        reject(new DeadlinePassed());
      }, this.options.timeoutMs);
    });
    let completion: OpenAI.Chat.Completions.ChatCompletion;
    try {
      // The SDK's timeout is per attempt and its retry sleeps ignore the signal: the race
      // bounds the whole call, retries and Retry-After waits included.
      const call = openai.chat.completions.create(
        { model, messages: masked, response_format: zodResponseFormat(schema, schemaName), temperature: 0 },
        { signal: deadline.signal },
      );
      call.catch(() => {});
      completion = await Promise.race([call, expired]);
    } catch (error) {
      if (error instanceof DeadlinePassed || deadline.signal.aborted) {
        return this.#skip(task, 'timeout', `no answer within OPENAI_TIMEOUT (${this.options.timeoutMs} ms)`);
      }
      const status = error instanceof APIError && error.status ? ` (HTTP ${error.status})` : '';
      return this.#skip(task, 'api_error', `${(error as Error).message}${status}`);
    } finally {
      clearTimeout(timer);
    }

    const tokens = completion.usage?.total_tokens ?? 0;
    await this.options.budget.record(tokens, this.options.now()).catch((error: unknown) => this.options.logger.error({ err: error }, 'ai: usage not recorded'));
    const parsed = parseAnswer(completion, schema);
    if (!parsed.ok) return this.#skip(task, 'malformed', parsed.detail);
    this.#cache.set(key, parsed.value);
    return { ok: true, value: parsed.value, cached: false };
  }

  #skip(task: AiTask, reason: AiSkipReason, detail: string): AiResult<never> {
    this.options.logger.warn({ task, reason, detail }, 'ai: no model answer; falling back');
    return { ok: false, reason, detail };
  }
}

function parseAnswer<S extends z.ZodType>(
  completion: OpenAI.Chat.Completions.ChatCompletion,
  schema: S,
): { ok: true; value: z.output<S> } | { ok: false; detail: string } {
  const message = completion.choices[0]?.message;
  if (!message) return { ok: false, detail: 'the answer has no choices' };
  if (message.refusal) return { ok: false, detail: `the model refused: ${message.refusal}` };
  if (!message.content) return { ok: false, detail: 'the answer has no content' };
  let data: unknown;
  try {
    data = JSON.parse(message.content);
  } catch {
    return { ok: false, detail: `the answer is not JSON: ${message.content.slice(0, 120)}` };
  }
  const result = schema.safeParse(data);
  if (!result.success) {
    return {
      ok: false,
      detail: `the answer does not match the schema: ${result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    };
  }
  return { ok: true, value: result.data };
}
