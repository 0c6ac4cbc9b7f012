import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AiAssist } from '../src/ai/assist.ts';
import { raisePriority } from '../src/ai/classify.ts';
import { loadConfig } from '../src/config.ts';
import { FlowRegistry } from '../src/flows/registry.ts';
import { parseFlowFile } from '../src/flows/validate.ts';
import type { Parley } from '../src/runtime.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';
import { classification, FakeOpenAI } from './support/fake-openai.ts';
import { FakeAdapter, settle, silentLogger, testCapabilities, testParley } from './support/parley.ts';

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = new FakeOpenAI();
  await fake.start();
});
afterAll(() => fake.stop());
beforeEach(() => {
  fake.chats.length = 0;
  fake.problems.length = 0;
});
afterEach(() => {
  expect(fake.problems).toEqual([]);
});

const aiEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
  OPENAI_API_KEY: 'sk-test',
  OPENAI_BASE_URL: fake.url,
  OPENAI_MODEL: 'test-model',
  OPENAI_CLASSIFY_MODEL: 'test-classifier',
  OPENAI_TIMEOUT: '2s',
  OPENAI_MAX_RETRIES: '0',
  ...extra,
});
const assistFor = (db: TestDatabase, extra: Record<string, string> = {}, env = aiEnv(extra)) =>
  new AiAssist(db, loadConfig({ PARLEY_DEFAULT_REGION: 'IR', ...env }), silentLogger, () => new Date('2026-11-23T10:00:00Z'));

describe('classification through the openai SDK against a fake server', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase('sqlite');
  });
  afterAll(() => db.dispose());

  it('sends masked text, the schema and the classify model; uses a valid answer', async () => {
    fake.answer = () => ({ content: classification({ intent: 'complaint', sentiment: 'negative', urgency: 'high', language: 'FA', confidence: 0.8 }) });
    const ai = assistFor(db);
    const result = await ai.classifier.classify('سفارشم خراب رسید! ایمیلم ali.rezaei@example.com و شماره‌ام ۰۹۱۲ ۱۲۳ ۴۵۶۷، کارت ۶۰۳۷-۹۹۷۵-۹۹۲۹-۲۵۲۲', 'fa', {
      channel: 'whatsapp',
    });
    expect(result).toEqual({ intent: 'complaint', sentiment: 'negative', urgency: 'high', language: 'fa', confidence: 0.8, source: 'model' });
    const [chat] = fake.chats;
    expect(chat?.model).toBe('test-classifier');
    expect(chat?.text).not.toMatch(/ali\.rezaei|example\.com|۰۹۱۲|۶۰۳۷|0912/);
    expect(chat?.messages.at(-1)?.content).toContain('سفارشم خراب رسید! ایمیلم [email] و شماره‌ام [phone]، کارت [card]');
    const schema = chat?.response_format?.json_schema;
    expect(schema?.name).toBe('message_classification');
    expect(schema?.schema.required.sort()).toEqual(['confidence', 'intent', 'language', 'sentiment', 'urgency']);
    expect(schema?.schema.properties.intent?.enum).toEqual(['complaint', 'question', 'feedback', 'purchase', 'human', 'other']);
    expect(schema?.schema.properties.urgency?.enum).toEqual(['low', 'normal', 'high']);
  });

  it.each([
    ['not JSON', 'I think it is a complaint'],
    ['an intent outside the schema', classification({ intent: 'angry' })],
    ['a missing field', JSON.stringify({ intent: 'question', sentiment: 'neutral' })],
    ['a confidence out of range', classification({ confidence: 7 })],
  ])('rejects %s and falls back to the keywords', async (_case, content) => {
    fake.answer = () => ({ content });
    const result = await assistFor(db).classifier.classify('my parcel is broken', 'en');
    expect(fake.chats).toHaveLength(1);
    expect(result).toEqual({ intent: 'complaint', confidence: 0.6, source: 'keywords' });
  });

  it('retries a 429 within the deadline, then uses the answer', async () => {
    let calls = 0;
    fake.answer = () =>
      ++calls === 1
        ? { status: 429, headers: { 'retry-after-ms': '5' }, body: { error: { message: 'rate limited' } } }
        : { content: classification({ intent: 'purchase' }) };
    const result = await assistFor(db, { OPENAI_MAX_RETRIES: '2' }).classifier.classify('how much is the blue one', 'en');
    expect(fake.chats).toHaveLength(2);
    expect(result).toMatchObject({ intent: 'purchase', source: 'model' });
  });

  it.each([
    [429, { 'retry-after-ms': '5' }],
    [500, {}],
  ])('falls back after %s on every attempt (OPENAI_MAX_RETRIES=1: two requests)', async (status, headers) => {
    fake.answer = () => ({ status, headers });
    const result = await assistFor(db, { OPENAI_MAX_RETRIES: '1' }).classifier.classify('چرا بسته‌ام نرسید؟', 'fa');
    expect(fake.chats).toHaveLength(2);
    expect(result).toEqual({ intent: 'complaint', confidence: 0.6, source: 'keywords' });
  });

  it('answers by keywords when the model does not answer within OPENAI_TIMEOUT', async () => {
    fake.answer = () => ({ hang: true });
    const result = await assistFor(db, { OPENAI_TIMEOUT: '200ms', OPENAI_MAX_RETRIES: '3' }).classifier.classify('أريد التحدث مع ممثل', 'ar');
    expect(result).toEqual({ intent: 'human', confidence: 0.6, source: 'keywords' });
    expect(fake.chats.length).toBeGreaterThanOrEqual(1);
  });

  it('a Retry-After longer than the deadline does not hold the customer: fallback at the deadline', async () => {
    fake.answer = () => ({ status: 429, headers: { 'retry-after': '50' } });
    const result = await assistFor(db, { OPENAI_TIMEOUT: '200ms', OPENAI_MAX_RETRIES: '2' }).classifier.classify('I want to buy two', 'en');
    expect(result).toEqual({ intent: 'purchase', confidence: 0.6, source: 'keywords' });
    expect(fake.chats).toHaveLength(1);
  });

  it('answers identical requests from the cache; PARLEY_AI_CACHE_SIZE=0 turns it off', async () => {
    fake.answer = () => ({ content: classification({ intent: 'feedback', sentiment: 'positive' }) });
    const cached = assistFor(db);
    await cached.classifier.classify('thanks, great service', 'en');
    const again = await cached.classifier.classify('thanks, great service', 'en');
    await cached.classifier.classify('thanks, great service!', 'en');
    expect(again).toMatchObject({ intent: 'feedback', source: 'model' });
    expect(fake.chats).toHaveLength(2);

    fake.chats.length = 0;
    const uncached = assistFor(db, { PARLEY_AI_CACHE_SIZE: '0' });
    await uncached.classifier.classify('thanks, great service', 'en');
    await uncached.classifier.classify('thanks, great service', 'en');
    expect(fake.chats).toHaveLength(2);
  });

  it('sends nothing when AI is off: no key, PARLEY_AI_ENABLED=false, or a channel outside PARLEY_AI_CHANNELS', async () => {
    fake.answer = () => ({ content: classification({ intent: 'other' }) });
    const { OPENAI_API_KEY: _key, ...withoutKey } = aiEnv();
    void _key;
    const variants = [assistFor(db, {}, withoutKey), assistFor(db, { PARLEY_AI_ENABLED: 'false' })];
    for (const ai of variants) expect(await ai.classifier.classify('when do you open?', 'en', { channel: 'whatsapp' })).toMatchObject({ source: 'keywords' });
    const emailOnly = assistFor(db, { PARLEY_AI_CHANNELS: 'email, sms' });
    expect(await emailOnly.classifier.classify('when do you open?', 'en', { channel: 'whatsapp' })).toMatchObject({ intent: 'question', source: 'keywords' });
    expect(fake.chats).toHaveLength(0);
    expect(await emailOnly.classifier.classify('when do you open?', 'en', { channel: 'email' })).toMatchObject({ intent: 'other', source: 'model' });
    expect(fake.chats).toHaveLength(1);
  });

  it.each([
    ['en', 'I want to complain, the box arrived damaged', 'complaint'],
    ['en', 'Can I talk to a human please', 'human'],
    ['en', 'How much is the red dress', 'purchase'],
    ['en', 'Thank you, excellent service', 'feedback'],
    ['en', 'When do you open?', 'question'],
    ['en', 'hello there', 'other'],
    ['fa', 'بسته‌ام خراب رسید و ناراضی‌ام', 'complaint'],
    ['fa', 'می‌خواهم با اپراتور صحبت کنم', 'human'],
    ['fa', 'قیمت این کفش چنده', 'purchase'],
    ['fa', 'ممنون، عالی بود', 'feedback'],
    ['fa', 'ساعت کاری شما کی است؟', 'question'],
    ['fa', 'سلام', 'other'],
    ['ar', 'وصل الطلب تالف وأريد استرداد المبلغ', 'complaint'],
    ['ar', 'أريد التحدث مع خدمة العملاء', 'human'],
    ['ar', 'كم سعر هذا المنتج', 'purchase'],
    ['ar', 'شكرا خدمة ممتازة', 'feedback'],
    ['ar', 'متى تفتحون؟', 'question'],
    ['ar', 'مرحبا', 'other'],
  ])('fallback lexicon (%s): %s -> %s', async (locale, text, intent) => {
    const { OPENAI_API_KEY: _key, ...withoutKey } = aiEnv();
    void _key;
    expect(await assistFor(db, {}, withoutKey).classifier.classify(text, locale)).toMatchObject({ intent, source: 'keywords' });
  });

  it('raises hand-off priority from urgency and mood, never lowers it', () => {
    const model = { intent: 'complaint', confidence: 0.9, source: 'model' } as const;
    expect(raisePriority('normal', { ...model, urgency: 'high', sentiment: 'negative' })).toBe('urgent');
    expect(raisePriority('normal', { ...model, urgency: 'high', sentiment: 'neutral' })).toBe('high');
    expect(raisePriority('low', { ...model, urgency: 'normal', sentiment: 'negative' })).toBe('high');
    expect(raisePriority('normal', { ...model, intent: 'question', urgency: 'normal', sentiment: 'negative' })).toBe('normal');
    expect(raisePriority('urgent', { ...model, urgency: 'low', sentiment: 'positive' })).toBe('urgent');
    expect(raisePriority('normal', { intent: 'complaint', confidence: 0.6, source: 'keywords' })).toBe('normal');
  });
});

describe.each(dialects)('daily token budget on %s', (dialect) => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await freshDatabase(dialect);
  });
  afterEach(() => db.dispose());

  it('counts reported usage in the database across processes and stops calling when spent', async () => {
    fake.answer = () => ({ content: classification({ intent: 'question' }), tokens: 60 });
    const first = assistFor(db, { OPENAI_DAILY_TOKEN_BUDGET: '100' });
    const second = assistFor(db, { OPENAI_DAILY_TOKEN_BUDGET: '100' });
    expect(await first.classifier.classify('what time do you open', 'en')).toMatchObject({ source: 'model' });
    expect(await second.classifier.classify('what time do you close', 'en')).toMatchObject({ source: 'model' });
    expect(await db.prisma.aiUsage.findUniqueOrThrow({ where: { day: '2026-11-23' } })).toMatchObject({ tokens: 120, calls: 2 });
    // 120 of 100 used: neither process calls the model again today.
    expect(await first.classifier.classify('where are you', 'en')).toEqual({ intent: 'question', confidence: 0.6, source: 'keywords' });
    expect(await second.classifier.classify('why so slow?', 'en')).toMatchObject({ source: 'keywords' });
    expect(await second.suggestReply('no-such-conversation')).toBeUndefined();
    expect(fake.chats).toHaveLength(2);
  });
});

const CARE_FLOW = `
id: care
name: Care
locales: [en, fa]
triggers:
  - intent: complaint
steps:
  - id: order
    ask: { type: text, text: { en: "Your order number?", fa: "شماره سفارش؟" }, save: order }
  - id: pass
    handoff: { team: care }
`;

describe.each(dialects)('AI in the pipeline on %s', (dialect) => {
  let db: TestDatabase;
  let parley: Parley;
  let adapter: FakeAdapter;
  let seq = 0;

  const open = async (env: Record<string, string>) => {
    const parsed = parseFlowFile('care.yaml', CARE_FLOW);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const registry = FlowRegistry.of([], silentLogger, db);
    await registry.remember({ flow: parsed.flow, file: 'care.yaml', source: CARE_FLOW });
    adapter = new FakeAdapter('whatsapp', testCapabilities);
    parley = await testParley(db, { adapters: [adapter], flows: registry, env });
    await parley.startChannels();
  };
  const say = async (text: string) => {
    await adapter.context!.receive({ externalId: `m${++seq}`, sender: { address: '+989121234567', addressKind: 'phone' }, text, raw: {} });
    await settle(parley);
  };

  beforeEach(async () => {
    db = await freshDatabase(dialect);
  });
  afterEach(async () => {
    await parley.stop();
    await db.dispose();
  });

  it('the model picks the flow, raises the hand-off priority, and the summary and a Persian draft are made', async () => {
    fake.answer = (chat) => {
      const name = chat.response_format?.json_schema?.name;
      const last = chat.messages.at(-1)?.content ?? '';
      if (name === 'message_classification') {
        return last.includes('فوری')
          ? { content: classification({ intent: 'other', sentiment: 'negative', urgency: 'high', language: 'fa' }) }
          : { content: classification({ intent: 'complaint', sentiment: 'negative', urgency: 'normal', language: 'fa' }) };
      }
      if (name === 'handoff_summary') {
        return { content: JSON.stringify({ wants: 'مشتری کالای سالم یا بازپرداخت می‌خواهد.', mood: 'negative', lines: ['سفارش [phone] خراب رسیده است.'] }) };
      }
      if (name === 'suggested_reply') return { content: JSON.stringify({ reply: 'پوزش می‌خواهیم؛ همکاران ما سفارش شما را بررسی می‌کنند.' }) };
      return { status: 400 };
    };
    await open(aiEnv({ PARLEY_AGENT_LOCALE: 'fa', OPENAI_SUMMARY_MODEL: 'test-summarizer' }));
    // "Doesn't work" is in no lexicon: only the model tells it is a complaint.
    await say('کالایی که فرستادید کار نمی‌کند. ایمیل من sara@example.com است');
    expect(adapter.sent.map((m) => m.content.text)).toEqual(['شماره سفارش؟']);
    await say('۱۲۳۴۵ لطفا فوری');

    const conversation = await db.prisma.conversation.findFirstOrThrow({ include: { team: true } });
    expect(conversation).toMatchObject({ status: 'waiting_for_agent', priority: 'urgent', team: { name: 'care' } });
    const stored = await parley.ai.storedSummary(conversation.id);
    expect(stored).toMatchObject({
      wants: 'مشتری کالای سالم یا بازپرداخت می‌خواهد.',
      mood: 'negative',
      language: 'fa',
      customerLanguage: 'fa',
      source: 'model',
    });
    expect(stored?.collected).toEqual({ order: '۱۲۳۴۵ لطفا فوری' });
    const [summaryChat] = fake.chatsFor('handoff_summary');
    expect(summaryChat?.model).toBe('test-summarizer');
    expect(summaryChat?.messages[0]?.content).toContain('Write in Persian');
    expect(summaryChat?.text).not.toContain('sara@example.com');
    expect(summaryChat?.messages.at(-1)?.content).toContain('[email]');

    const draft = await parley.ai.suggestReply(conversation.id);
    expect(draft).toEqual({ text: 'پوزش می‌خواهیم؛ همکاران ما سفارش شما را بررسی می‌کنند.', language: 'fa', source: 'model' });
    expect(fake.chatsFor('suggested_reply')[0]?.messages[0]?.content).toContain('Write only in Persian');
    expect(fake.chatsFor('suggested_reply')[0]?.model).toBe('test-model');

    // A draft in another language than the customer's is rejected.
    fake.answer = () => ({ content: JSON.stringify({ reply: 'We are sorry, we are checking your order.' }) });
    await say('کی جواب می‌دهید؟');
    expect(await parley.ai.suggestReply(conversation.id)).toBeUndefined();
  });

  it('without a model: keyword routing, unchanged priority, a deterministic summary and no draft', async () => {
    await open({});
    // A desk subscribed after AI assist finds the summary stored when its own job runs.
    const seenByDesk: unknown[] = [];
    parley.events.subscribe('conversation.handed_off', 'desk', async (event) => {
      seenByDesk.push(await parley.ai.storedSummary(event.conversationId));
    });
    await say('سفارشم خراب رسید');
    await say('۱۲۳۴۵');
    const conversation = await db.prisma.conversation.findFirstOrThrow();
    expect(conversation).toMatchObject({ status: 'waiting_for_agent', priority: 'normal' });
    expect(await parley.ai.storedSummary(conversation.id)).toEqual({
      wants: '۱۲۳۴۵',
      mood: 'negative',
      lines: ['سفارشم خراب رسید', '۱۲۳۴۵'],
      collected: { order: '۱۲۳۴۵' },
      language: 'fa',
      customerLanguage: 'fa',
      source: 'fallback',
    });
    expect(seenByDesk).toEqual([await parley.ai.storedSummary(conversation.id)]);
    expect(await parley.ai.summarizeHandoff(conversation.id, 'en')).toMatchObject({ source: 'fallback', collected: { order: '۱۲۳۴۵' } });
    expect(await parley.ai.suggestReply(conversation.id)).toBeUndefined();
    expect(fake.chats).toHaveLength(0);
  });
});
