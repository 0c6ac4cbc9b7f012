import { describe, expect, it } from 'vitest';
import { consentKeyword } from '../channels/sms/keywords.ts';
import { countSegments, limitSegments } from '../src/core/sms-segments.ts';

describe('SMS segment counting', () => {
  it.each([
    ['empty', '', 'GSM-7', 0, 1],
    ['English, one full segment', 'a'.repeat(160), 'GSM-7', 160, 1],
    ['English, one over', 'a'.repeat(161), 'GSM-7', 161, 2],
    ['English, two full concatenated segments', 'a'.repeat(306), 'GSM-7', 306, 2],
    ['English, three segments', 'a'.repeat(307), 'GSM-7', 307, 3],
    ['GSM accents stay 7-bit', 'Café à Göteborg, señor', 'GSM-7', 22, 1],
    ['extension characters count two', '€'.repeat(80), 'GSM-7', 160, 1],
    ['an escape pair is never split across segments', `${'a'.repeat(152)}€${'a'.repeat(10)}`, 'GSM-7', 164, 2],
    ['Persian, 70 characters fit one', 'س'.repeat(70), 'UCS-2', 70, 1],
    ['Persian, 71 characters take two', 'س'.repeat(71), 'UCS-2', 71, 2],
    ['Persian sentence', 'سلام، سفارش من کجاست؟ شماره پیگیری ۱۲۳۴۵ است.', 'UCS-2', 45, 1],
    ['Arabic sentence over one segment', 'مرحبا، أين طلبي؟ رقم التتبع ١٢٣٤٥. أرجو الرد في أقرب وقت ممكن، شكرا جزيلا لكم', 'UCS-2', 77, 2],
    ['Arabic, 134 characters fill two segments', 'ع'.repeat(134), 'UCS-2', 134, 2],
    ['Arabic, 135 characters take three', 'ع'.repeat(135), 'UCS-2', 135, 3],
    ['one Persian letter makes English text UCS-2', `${'a'.repeat(69)}ی`, 'UCS-2', 70, 1],
    ['an emoji is two UTF-16 units', '🙂'.repeat(35), 'UCS-2', 70, 1],
    ['a surrogate pair is never split across segments', `${'a'.repeat(66)}🙂${'a'.repeat(66)}`, 'UCS-2', 134, 3],
  ])('%s', (_name, text, encoding, units, segments) => {
    expect(countSegments(text)).toMatchObject({ encoding, units, segments });
  });

  it('splits long Persian text into messages within the segment limit, at word boundaries', () => {
    const text = 'این یک پیام طولانی به زبان فارسی است که باید تقسیم شود. '.repeat(6);
    const parts = limitSegments(text, 1, 'split');
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) {
      expect(countSegments(part).segments).toBe(1);
      expect(part).toBe(part.trim());
    }
    expect(parts.join(' ').replace(/\s+/g, ' ')).toBe(text.trim().replace(/\s+/g, ' '));
  });

  it('truncates at a word with an ellipsis of the same encoding', () => {
    const english = limitSegments('word '.repeat(100), 1, 'truncate');
    expect(english).toHaveLength(1);
    expect(english[0]).toMatch(/word\.\.\.$/);
    expect(countSegments(english[0] as string)).toMatchObject({ encoding: 'GSM-7', segments: 1 });
    const arabic = limitSegments('كلمة '.repeat(40), 2, 'truncate');
    expect(arabic[0]).toMatch(/كلمة…$/);
    expect(countSegments(arabic[0] as string).segments).toBe(2);
  });

  it('leaves text within the limit alone', () => {
    expect(limitSegments('short', 1, 'truncate')).toEqual(['short']);
  });
});

describe('consent keywords', () => {
  it.each([
    ['STOP', 'opt_out'],
    [' stop ', 'opt_out'],
    ['Unsubscribe', 'opt_out'],
    ['STOPALL', 'opt_out'],
    ['لغو', 'opt_out'],
    ['إلغاء', 'opt_out'],
    ['START', 'opt_in'],
    ['unstop', 'opt_in'],
    ['شروع', 'opt_in'],
    ['HELP', 'help'],
    ['info', 'help'],
    ['راهنما', 'help'],
  ])('%s is %s', (text, action) => {
    expect(consentKeyword(text)?.action).toBe(action);
  });

  it.each(['please stop sending me this', 'yes', 'start my order', 'کمک کنید سفارشم نرسیده'])('"%s" is an ordinary message', (text) => {
    expect(consentKeyword(text)).toBeUndefined();
  });
});
