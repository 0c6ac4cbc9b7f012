import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { channels } from '../channels/index.ts';
import { consoleChannel } from '../channels/console/index.ts';
import { loadConfig } from '../src/config.ts';
import { simulateFlow, type SimulationOutcome } from '../src/flows/simulator.ts';
import { silentLogger } from './support/parley.ts';

const run = promisify(execFile);
const config = loadConfig({ PARLEY_DEFAULT_REGION: 'IR' });

async function simulate(
  flowId: string,
  locale: string,
  answers: string[],
  channel = 'console',
  newCustomer = false,
): Promise<{ shown: string[]; outcome: SimulationOutcome }> {
  const shown: string[] = [];
  const capabilities = channels.find((c) => c.name === channel)?.capabilities ?? consoleChannel.capabilities;
  const outcome = await simulateFlow(
    { config, logger: silentLogger, channels, dir: 'flows', flowId, locale, channel, capabilities, newCustomer, print: (text) => shown.push(text) },
    answers,
  );
  return { shown, outcome };
}

// Answers typed the way customers of each language type them (digit systems included).
const SCRIPTS: Record<string, Record<string, { answers: string[]; check: (o: SimulationOutcome, shown: string[]) => void }>> = {
  complaint: {
    en: {
      answers: ['3', 'I was charged twice', 'ORD-1001'],
      check: (o) =>
        expect(o.tickets[0]).toMatchObject({
          kind: 'complaint',
          category: 'billing',
          fields: { description: 'I was charged twice', order_number: 'ORD-1001' },
        }),
    },
    fa: {
      answers: ['۱', 'بسته دیر رسید', 'ندارم'],
      check: (o) => expect(o.tickets[0]).toMatchObject({ category: 'delivery', fields: { description: 'بسته دیر رسید', order_number: '' } }),
    },
    ar: { answers: ['٤', 'الموظف كان غير مهذب', 'لا يوجد'], check: (o) => expect(o.tickets[0]).toMatchObject({ category: 'service' }) },
  },
  csat: {
    en: { answers: ['5'], check: (o) => expect(o.surveys).toEqual([{ kind: 'csat', score: 5, comment: null }]) },
    fa: { answers: ['۲', 'خیلی طول کشید'], check: (o) => expect(o.surveys).toEqual([{ kind: 'csat', score: 2, comment: 'خیلی طول کشید' }]) },
    ar: { answers: ['٣', 'لا يوجد'], check: (o) => expect(o.surveys).toEqual([{ kind: 'csat', score: 3, comment: null }]) },
  },
  ticket_satisfaction: {
    en: { answers: ['4'], check: (o) => expect(o.surveys).toEqual([{ kind: 'csat', score: 4, comment: null }]) },
    fa: {
      answers: ['۱', 'خیلی دیر جواب دادید'],
      check: (o) => {
        expect(o.surveys).toEqual([{ kind: 'csat', score: 1, comment: 'خیلی دیر جواب دادید' }]);
        expect(o).toMatchObject({ conversationStatus: 'waiting_for_agent', team: 'support', priority: 'high' });
      },
    },
    ar: { answers: ['٥'], check: (o) => expect(o.surveys).toEqual([{ kind: 'csat', score: 5, comment: null }]) },
  },
  nps: {
    en: { answers: ['9', 'Fast delivery'], check: (o) => expect(o.surveys).toEqual([{ kind: 'nps', score: 9, comment: 'Fast delivery' }]) },
    fa: { answers: ['۱۰', 'عالی'], check: (o) => expect(o.surveys[0]).toMatchObject({ score: 10, comment: 'عالی' }) },
    ar: { answers: ['٠', 'لا'], check: (o) => expect(o.surveys[0]).toMatchObject({ score: 0, comment: null }) },
  },
  welcome: {
    en: {
      answers: ['Sam Lee', '2', '3'],
      check: (o) => expect(o).toMatchObject({ customerName: 'Sam Lee', attributes: { chose_us_because: 'quality' }, conversationStatus: 'waiting_for_agent' }),
    },
    fa: {
      answers: ['سارا', 'پیشنهاد دوستان', '۳'],
      check: (o) => expect(o).toMatchObject({ customerName: 'سارا', attributes: { chose_us_because: 'recommendation' } }),
    },
    ar: { answers: ['أحمد', '١', '٣'], check: (o) => expect(o).toMatchObject({ customerName: 'أحمد', attributes: { chose_us_because: 'price' } }) },
  },
  main_menu: {
    en: { answers: ['1', 'Do you ship to Dubai?'], check: (o) => expect(o).toMatchObject({ conversationStatus: 'waiting_for_agent', team: 'support' }) },
    fa: { answers: ['صحبت با کارشناس'], check: (o) => expect(o).toMatchObject({ conversationStatus: 'waiting_for_agent', team: 'support' }) },
    ar: { answers: ['٢', '٢', 'المنتج مكسور', 'لا يوجد'], check: (o) => expect(o.tickets[0]).toMatchObject({ kind: 'complaint', category: 'product' }) },
  },
  welcome_tips: {
    en: { answers: ['yes'], check: (o) => expect(o).toMatchObject({ attributes: { wants_offers: true }, sessionStatus: 'completed' }) },
    fa: { answers: ['نه'], check: (o) => expect(o).toMatchObject({ attributes: { wants_offers: false }, sessionStatus: 'completed' }) },
    ar: { answers: ['نعم'], check: (o) => expect(o).toMatchObject({ attributes: { wants_offers: true } }) },
  },
  cross_sell: {
    en: { answers: ['2'], check: (o) => expect(o).toMatchObject({ attributes: { cross_sell_interest: 'warranty' }, sessionStatus: 'completed' }) },
    fa: { answers: ['۱'], check: (o) => expect(o).toMatchObject({ attributes: { cross_sell_interest: 'accessories' } }) },
    ar: { answers: ['٣'], check: (o) => expect(o).toMatchObject({ attributes: { cross_sell_interest: 'none' }, sessionStatus: 'completed' }) },
  },
  winback: {
    en: { answers: ['1'], check: (o) => expect(o).toMatchObject({ attributes: { churn_reason: 'price' }, sessionStatus: 'completed' }) },
    fa: {
      answers: ['تجربهٔ بد', 'بله'],
      check: (o) =>
        expect(o).toMatchObject({
          attributes: { churn_reason: 'bad_experience' },
          conversationStatus: 'waiting_for_agent',
          team: 'retention',
          priority: 'high',
        }),
    },
    ar: { answers: ['٢'], check: (o) => expect(o).toMatchObject({ attributes: { churn_reason: 'alternative' } }) },
  },
};

describe('shipped flows, simulated as customers in each language', () => {
  for (const [flowId, byLocale] of Object.entries(SCRIPTS)) {
    for (const [locale, script] of Object.entries(byLocale)) {
      it(`${flowId} in ${locale}`, async () => {
        const { shown, outcome } = await simulate(flowId, locale, script.answers, 'console', flowId === 'welcome');
        expect(shown.length).toBeGreaterThan(0);
        // Every bot line is in the customer's language: Arabic script for fa/ar, none for en.
        const arabicScript = /[\u0600-\u06ff]/;
        for (const line of shown) if (locale === 'en') expect(line).not.toMatch(arabicScript);
        if (locale !== 'en') expect(shown.every((line) => arabicScript.test(line))).toBe(true);
        script.check(outcome, shown);
        if (outcome.tickets[0]) expect(shown.join('\n')).toContain(outcome.tickets[0].ref);
      }, 30_000);
    }
  }

  it('renders the complaint categories as a list on WhatsApp and as numbered text on SMS', async () => {
    const whatsapp = await simulate('complaint', 'fa', ['2', 'x', 'ندارم'], 'whatsapp');
    expect(whatsapp.shown[0]).toContain('≡ انتخاب کنید');
    const sms = await simulate('complaint', 'en', ['2', 'x', 'skip'], 'sms');
    expect(sms.shown[0]).toContain('1. Delivery\n2. Product quality');
  }, 30_000);

  it('`parley flows simulate` reads answers from stdin', async () => {
    const child = execFile(process.execPath, ['bin/parley.js', 'flows', 'simulate', 'csat', '--locale', 'fa'], { env: { ...process.env, LOG_LEVEL: 'warn' } });
    child.stdin?.end('۵\n');
    const stdout = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (d) => (out += d));
      child.on('error', reject);
      child.on('close', () => resolve(out));
    });
    expect(stdout).toContain('چقدر از پاسخگویی ما راضی بودید؟');
    expect(stdout).toContain('> ۵');
    expect(stdout).toContain('از بازخورد شما سپاسگزاریم!');
    expect(stdout).toContain('-- flow csat completed');
    void run;
  }, 60_000);
});
