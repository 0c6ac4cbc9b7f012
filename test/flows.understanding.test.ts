import { describe, expect, it } from 'vitest';
import { channels } from '../channels/index.ts';
import { consoleChannel } from '../channels/console/index.ts';
import { loadConfig } from '../src/config.ts';
import { parseName } from '../src/flows/names.ts';
import { simulateFlow, type SimulationOutcome } from '../src/flows/simulator.ts';
import { silentLogger } from './support/parley.ts';

const config = loadConfig({ PARLEY_DEFAULT_REGION: 'IR' });

async function simulate(
  flowId: string,
  locale: string,
  answers: string[],
  customer: { newCustomer?: boolean; customerName?: string } = {},
): Promise<{ shown: string[]; outcome: SimulationOutcome }> {
  const shown: string[] = [];
  const outcome = await simulateFlow(
    {
      config,
      logger: silentLogger,
      channels,
      dir: 'flows',
      flowId,
      locale,
      channel: 'console',
      capabilities: consoleChannel.capabilities,
      ...customer,
      print: (text) => shown.push(text),
    },
    answers,
  );
  return { shown, outcome };
}

describe('the shipped flows understand what customers write', () => {
  it.each([
    ['en', ['my package arrived broken', '2', 'the box was crushed', 'skip'], 'product'],
    ['en', ['I want to complain', '1', 'late again', 'skip'], 'delivery'],
    ['fa', ['بسته‌ام خراب رسید', '۲', 'جعبه له شده بود', 'ندارم'], 'product'],
    ['fa', ['می خواهم شکایت کنم', 'کیفت', 'خراب بود', 'ندارم'], 'product'],
    ['ar', ['وصلت الطلبية مكسورة', '٢', 'العلبة مكسورة', 'لا يوجد'], 'product'],
  ])(
    'the main menu (%s) routes free text to the complaint flow: %j',
    async (locale, answers, category) => {
      const { outcome } = await simulate('main_menu', locale, answers);
      expect(outcome.tickets).toHaveLength(1);
      expect(outcome.tickets[0]).toMatchObject({ kind: 'complaint', category });
    },
    30_000,
  );

  it('a sentence is not taken for a name: the welcome flow asks again and keeps the real one', async () => {
    const { shown, outcome } = await simulate('welcome', 'en', ['I want to complain', "I'm sam", '2', '3'], { newCustomer: true });
    expect(shown.filter((line) => line.includes('What should we call you?'))).toHaveLength(2);
    expect(outcome.customerName).toBe('Sam');
    expect(outcome.attributes).toMatchObject({ chose_us_because: 'quality' });
  }, 30_000);

  it('a name the channel gave is only confirmed; "no" asks for the name, which then replaces it', async () => {
    const kept = await simulate('welcome', 'fa', ['بله', '۲', '۳'], { newCustomer: true, customerName: 'Sara K' });
    expect(kept.shown.some((line) => line.includes('شما را Sara K صدا کنیم؟'))).toBe(true);
    expect(kept.shown.some((line) => line.includes('چطور شما را صدا کنیم؟'))).toBe(false);
    expect(kept.outcome.customerName).toBe('Sara K');

    const replaced = await simulate('welcome', 'ar', ['لا', 'اسمي سارة', '١', '٣'], { newCustomer: true, customerName: 'sk_1990' });
    expect(replaced.shown.some((line) => line.includes('بماذا نناديك؟'))).toBe(true);
    expect(replaced.outcome.customerName).toBe('سارة');
    expect(replaced.outcome.attributes).toMatchObject({ chose_us_because: 'price' });
  }, 30_000);

  it('a fallback tells the customer what happens next, in their language: a hand-off, or the end of the flow', async () => {
    const handedOff = await simulate('complaint', 'fa', ['شاید', 'نمی‌دانم', 'هیچی']);
    expect(handedOff.outcome.conversationStatus).toBe('waiting_for_agent');
    expect(handedOff.shown.at(-1)).toBe('گفت‌وگوی شما را به یکی از همکارانمان می‌سپارم؛ همین‌جا به شما پاسخ می‌دهند.');
    const ended = await simulate('csat', 'ar', ['ربما', 'لا أعرف', 'لاشيء']);
    expect(ended.outcome.sessionStatus).toBe('completed');
    expect(ended.shown.at(-1)).toBe('لنتوقف هنا الآن. راسلنا في أي وقت إذا احتجت إلى أي شيء.');
  }, 30_000);
});

describe('reading a name', () => {
  it.each([
    ['Sara', 'Sara'],
    ['sara', 'Sara'],
    ["I'm Sam", 'Sam'],
    ['my name is ali rezaei', 'Ali Rezaei'],
    ['Call me Jean-Luc.', 'Jean-Luc'],
    ["O'Brien", "O'Brien"],
    ['de la Cruz', 'De La Cruz'],
    ['سارا', 'سارا'],
    ['من سارا هستم', 'سارا'],
    ['اسمم علی است', 'علی'],
    ['نظری', 'نظری'],
    ['کیان', 'کیان'],
    ['محمد‌رضا', 'محمد‌رضا'],
    ['اسمي سارة', 'سارة'],
    ['أنا عمر', 'عمر'],
  ])('%j is the name %j', (text, name) => {
    expect(parseName(text)).toEqual({ ok: true, name });
  });

  it.each([
    'I want to complain',
    'my package arrived broken',
    'می‌خواهم شکایت کنم',
    'لدي شكوى',
    'hello',
    'سلام',
    'complaint',
    '0912 123 4567',
    'sara@example.com',
    'I am out of the office until Monday 7 December and will reply when I am back',
    'Thank you for your email.\nI am currently away.',
    '',
  ])('%j is not a name', (text) => {
    expect(parseName(text).ok).toBe(false);
  });
});
