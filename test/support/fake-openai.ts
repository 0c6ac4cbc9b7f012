import type { ServerResponse } from 'node:http';
import { FakeHttpServer, json } from './fake-http.ts';

/** What the fake answers one chat completion request with. */
export type FakeAnswer =
  | { readonly content: string; readonly tokens?: number }
  | { readonly status: number; readonly headers?: Record<string, string>; readonly body?: unknown }
  | { readonly hang: true };

export interface ChatRequest {
  readonly model: string;
  readonly messages: { role: string; content: string }[];
  readonly response_format?: {
    type: string;
    json_schema?: { name: string; strict?: boolean; schema: { properties: Record<string, { enum?: string[] }>; required: string[] } };
  };
  readonly authorization: string | undefined;
  readonly text: string;
}

/**
 * An OpenAI-compatible chat completions API on 127.0.0.1 for the real SDK (baseURL). It
 * checks what every request must carry (path, bearer key, JSON schema response format)
 * and answers through `answer`, keyed by the schema name the request asks for.
 */
export class FakeOpenAI {
  readonly server = new FakeHttpServer();
  readonly chats: ChatRequest[] = [];
  readonly problems: string[] = [];
  answer: (request: ChatRequest) => FakeAnswer = () => ({ status: 500, body: { error: { message: 'no answer configured' } } });
  readonly #hanging: ServerResponse[] = [];
  url = '';

  async start(): Promise<string> {
    this.server.route = (request, response) => {
      if (request.method !== 'POST' || request.url !== '/v1/chat/completions') {
        this.problems.push(`unexpected ${request.method} ${request.url}`);
        return json(response, 404, { error: { message: 'not found' } });
      }
      const body = JSON.parse(request.body.toString()) as Omit<ChatRequest, 'authorization' | 'text'>;
      const chat: ChatRequest = { ...body, authorization: request.headers.authorization, text: request.body.toString() };
      if (chat.authorization !== 'Bearer sk-test') this.problems.push(`authorization was ${chat.authorization}`);
      if (chat.response_format?.type !== 'json_schema' || !chat.response_format.json_schema?.strict)
        this.problems.push('no strict json_schema response_format');
      this.chats.push(chat);
      const answer = this.answer(chat);
      if ('hang' in answer) {
        this.#hanging.push(response);
        return;
      }
      if ('status' in answer) return json(response, answer.status, answer.body ?? { error: { message: `status ${answer.status}` } }, answer.headers);
      const tokens = answer.tokens ?? 30;
      json(response, 200, {
        id: `chatcmpl-${this.chats.length}`,
        object: 'chat.completion',
        created: 1_764_000_000,
        model: chat.model,
        choices: [{ index: 0, message: { role: 'assistant', content: answer.content, refusal: null }, finish_reason: 'stop', logprobs: null }],
        usage: { prompt_tokens: tokens - 10, completion_tokens: 10, total_tokens: tokens },
      });
    };
    this.url = `${await this.server.listen()}/v1`;
    return this.url;
  }

  /** Chat requests that asked for the given schema. */
  chatsFor(schemaName: string): ChatRequest[] {
    return this.chats.filter((c) => c.response_format?.json_schema?.name === schemaName);
  }

  async stop(): Promise<void> {
    for (const response of this.#hanging) response.destroy();
    await this.server.close();
  }
}

export const classification = (fields: Partial<Record<'intent' | 'sentiment' | 'urgency' | 'language', string>> & { confidence?: number } = {}): string =>
  JSON.stringify({ intent: 'question', sentiment: 'neutral', urgency: 'normal', language: 'en', confidence: 0.9, ...fields });
