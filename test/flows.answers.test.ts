import { describe, expect, it } from 'vitest';
import { parseAnswer, parseDate, parseDecimal, parseInteger, parseYesNo } from '../src/flows/answers.ts';
import { classifyByKeywords } from '../src/flows/intent.ts';
import { evaluate } from '../src/flows/conditions.ts';
import { type Ask, BusinessHours } from '../src/flows/schema.ts';

const rating: Ask = { type: 'rating', text: 'Rate us', scale: { min: 1, max: 5 } };
const nps: Ask = { type: 'nps', text: 'NPS' };
const choice: Ask = {
  type: 'choice',
  text: 'Pick',
  choices: [
    { id: 'delivery', label: { en: 'Delivery', fa: 'ارسال و تحویل', ar: 'التوصيل' } },
    { id: 'product', label: { en: 'Product quality', fa: 'کیفیت محصول', ar: 'جودة المنتج' } },
    { id: 'billing', label: { en: 'Billing', fa: 'صورتحساب', ar: 'الفواتير' }, match: { en: ['invoice', 'payment'], fa: ['پرداخت'] } },
  ],
};

describe('reading answers', () => {
  it.each([
    ['5', 5],
    ['۵', 5],
    ['٥', 5],
    [' 4 ', 4],
    ['5/5', 5],
    ['۳ ستاره', 3],
    ['4 stars', 4],
    ['five', 5],
    ['پنج', 5],
    ['خمسة', 5],
    ['٣', 3],
  ])('rating %j is %d', (text, value) => {
    expect(parseAnswer(rating, 'rate', { text }, { locale: 'en' })).toMatchObject({ ok: true, value });
  });

  it.each(['6', '۰', '0', 'blue', '', '3.5 or 4'])('rating %j is refused', (text) => {
    expect(parseAnswer(rating, 'rate', { text }, { locale: 'en' }).ok).toBe(false);
  });

  it('NPS runs 0 to 10 in every digit system, buttons included', () => {
    expect(parseAnswer(nps, 'score', { text: '۰' }, { locale: 'fa' })).toMatchObject({ ok: true, value: 0 });
    expect(parseAnswer(nps, 'score', { text: '١٠' }, { locale: 'ar' })).toMatchObject({ ok: true, value: 10 });
    expect(parseAnswer(nps, 'score', { interactiveReplyId: 'score:7' }, { locale: 'en' })).toMatchObject({ ok: true, value: 7 });
    expect(parseAnswer(nps, 'score', { text: '11' }, { locale: 'en' }).ok).toBe(false);
  });

  it.each([
    ['2', 'product'],
    ['۲', 'product'],
    ['٢', 'product'],
    ['2.', 'product'],
    ['Product Quality', 'product'],
    ['product quality', 'product'],
    ['كيفيت محصول', 'product'], // Arabic kaf and yeh for the Persian label
    ['کیفیت محصول', 'product'],
    ['جودة المنتج', 'product'],
    ['DELIVERY', 'delivery'],
    ['délivery', 'delivery'],
    ['an invoice problem', 'billing'],
    ['پرداخت', 'billing'],
  ])('choice %j is %s', (text, id) => {
    expect(parseAnswer(choice, 'category', { text }, { locale: 'fa' })).toMatchObject({ ok: true, value: id });
  });

  it('a button or list reply picks its choice by id', () => {
    expect(parseAnswer(choice, 'category', { interactiveReplyId: 'category:billing', text: 'Billing' }, { locale: 'en' })).toMatchObject({
      ok: true,
      value: 'billing',
      display: 'Billing',
    });
  });

  it.each(['4', '0', 'something', 'product or delivery'])('choice %j fits no option', (text) => {
    expect(parseAnswer(choice, 'category', { text }, { locale: 'en' }).ok).toBe(false);
  });

  it.each([
    ['yes', true],
    ['Yes please', true],
    ['بله', true],
    ['آره', true],
    ['اره', true],
    ['نعم', true],
    ['no', false],
    ['نه', false],
    ['خیر', false],
    ['لا', false],
    ['كلا', false],
  ])('yes/no %j is %s', (text, value) => {
    expect(parseYesNo(text)).toBe(value);
  });

  it('numbers, dates, emails and phones in any digit system', () => {
    expect(parseInteger('۱۲')).toBe(12);
    expect(parseDecimal('۱٬۲۳۴٫۵')).toBe(1234.5);
    expect(parseDecimal('1,250')).toBe(1250);
    expect(parseDate('۱۴۰۵/۰۱/۰۱', { locale: 'fa' })).toBe('2026-03-21'); // Nowruz 1405, Solar Hijri
    expect(parseDate('۱۴۰۵/۱۲/۳۱', { locale: 'fa' })).toBeUndefined(); // 1405 is not a leap year
    expect(parseDate('1405-01-01', { locale: 'en' })).toBeUndefined(); // refused, not misread as the year 1405
    expect(parseDate('2026-03-21')).toBe('2026-03-21');
    expect(parseDate('٢١/٠٣/٢٠٢٦')).toBe('2026-03-21');
    expect(parseDate('31/02/2026')).toBeUndefined();
    expect(parseAnswer({ type: 'email', text: 'e' }, 's', { text: ' Sara@Example.COM ' }, { locale: 'en' })).toMatchObject({
      ok: true,
      value: 'sara@example.com',
    });
    expect(parseAnswer({ type: 'phone', text: 'p' }, 's', { text: '۰۹۱۲ ۱۲۳ ۴۵۶۷' }, { locale: 'fa', defaultRegion: 'IR' })).toMatchObject({
      ok: true,
      value: '+989121234567',
    });
    expect(parseAnswer({ type: 'phone', text: 'p' }, 's', { text: '050 123 4567' }, { locale: 'ar', defaultRegion: 'AE' })).toMatchObject({
      ok: true,
      value: '+971501234567',
    });
    expect(parseAnswer({ type: 'number', text: 'n', min: 1, max: 10 }, 's', { text: '۲۰' }, { locale: 'fa' }).ok).toBe(false);
  });

  it('an optional ask accepts skip words in three languages', () => {
    const ask: Ask = { type: 'text', text: 'Order number?', optional: true };
    for (const text of ['skip', 'ندارم', 'لا يوجد', 'no'])
      expect(parseAnswer(ask, 'order', { text }, { locale: 'en' })).toMatchObject({ ok: true, value: null });
    expect(parseAnswer(ask, 'order', { text: 'A-123' }, { locale: 'en' })).toMatchObject({ ok: true, value: 'A-123' });
  });

  it('a text ask that accepts attachments takes a photo alone as an answer', () => {
    const ask: Ask = { type: 'text', text: 'Describe', accept_attachments: true };
    expect(parseAnswer(ask, 'd', { attachments: [{ kind: 'image' }] }, { locale: 'en' }).ok).toBe(true);
    expect(parseAnswer({ type: 'text', text: 'Describe' }, 'd', { attachments: [{ kind: 'image' }] }, { locale: 'en' }).ok).toBe(false);
  });
});

describe('keyword intent classifier', () => {
  it.each([
    ['I want to complain about my order', 'complaint'],
    ['سفارشم خراب رسید', 'complaint'],
    ['لدي شكوى', 'complaint'],
    ['can I talk to a human', 'human'],
    ['میخواهم با اپراتور صحبت کنم', 'human'],
    ['how much is the blue one', 'purchase'],
    ['قیمت این چنده', 'purchase'],
    ['what time do you open?', 'question'],
    ['متى تفتحون؟', 'question'],
    ['thank you, great service', 'feedback'],
    ['hello', 'other'],
  ])('%j is %s', (text, intent) => {
    expect(classifyByKeywords(text).intent).toBe(intent);
  });
});

describe('business_hours condition', () => {
  const ctx = (iso: string) => ({ variables: {}, attributes: {}, tags: [], channel: 'sms', locale: 'fa', isNewCustomer: false, now: new Date(iso) });
  const tehran = {
    business_hours: BusinessHours.parse({
      timezone: 'Asia/Tehran',
      days: ['sat', 'sun', 'mon', 'tue', 'wed'],
      from: '09:00',
      to: '17:00',
      holidays: ['2026-03-21'],
    }),
  };

  it.each([
    ['2026-11-21T05:30:00Z', true], // Saturday 09:00 in Tehran (UTC+3:30)
    ['2026-11-21T05:29:00Z', false], // 08:59
    ['2026-11-21T13:29:00Z', true], // 16:59
    ['2026-11-21T13:30:00Z', false], // 17:00: closed
    ['2026-11-20T08:00:00Z', false], // Friday
    ['2026-03-21T08:00:00Z', false], // Saturday, but Nowruz (a holiday)
  ])('at %s open is %s', (iso, open) => {
    expect(evaluate(tehran, ctx(iso))).toBe(open);
  });

  it('refuses hours that end before they start', () => {
    expect(BusinessHours.safeParse({ timezone: 'Asia/Dubai', days: ['mon'], from: '18:00', to: '09:00' }).success).toBe(false);
  });
});
