import { describe, expect, it } from 'vitest';
import { luhnValid, maskPersonalData } from '../src/ai/mask.ts';

describe('masking personal data before text leaves Parley', () => {
  it.each([
    ['write to ali.rezaei+shop@example.co.ir today', 'write to [email] today'],
    ['ایمیلم sara_k@mail.example.com هست', 'ایمیلم [email] هست'],
    ['بريدي: ahmed@example.ae شكرا', 'بريدي: [email] شكرا'],
    ['call +98 912 123 4567 please', 'call [phone] please'],
    ['+989121234567', '[phone]'],
    ['0912-123-4567', '[phone]'],
    ['(0912) 123 4567', '[phone]'],
    ['شماره من ۰۹۱۲۱۲۳۴۵۶۷ است', 'شماره من [phone] است'],
    ['شماره: ۰۹۱۲ ۱۲۳ ۴۵۶۷', 'شماره: [phone]'],
    ['رقمي ٠٥٠١٢٣٤٥٦٧ من فضلك', 'رقمي [phone] من فضلك'],
    ['+971 50 123 4567', '[phone]'],
    ['٠٠٩٧١٥٠١٢٣٤٥٦٧', '[phone]'],
    ['00971501234567', '[phone]'],
    ['\u200e+98 912 123 4567\u200e', '\u200e[phone]\u200e'],
    ['card 4111 1111 1111 1111 expires', 'card [card] expires'],
    ['کارت ۶۰۳۷-۹۹۷۵-۹۹۲۹-۲۵۲۲', 'کارت [card]'],
    ['amex 378282246310005', 'amex [card]'],
    ['Visa 19 digits 4222222222222222224', 'Visa 19 digits [card]'],
    // Not personal data (or not recognisably so): left as written.
    ['order 12345 arrived on 2026-11-23', 'order 12345 arrived on 2026-11-23'],
    ['price 1,250,000 تومان', 'price 1,250,000 تومان'],
    ['سفارش ۴ عدد', 'سفارش ۴ عدد'],
    ['not a card 4111-1111-1111-1112 (fails Luhn)', 'not a card 4111-1111-1111-1112 (fails Luhn)'],
    ['an @mention and a user@localhost', 'an @mention and a user@localhost'],
  ])('%s', (input, masked) => {
    expect(maskPersonalData(input)).toBe(masked);
  });

  it('masks every occurrence in one text', () => {
    expect(maskPersonalData('a@b.io, c@d.io; +98 912 000 1111 or 0501234567; 4111111111111111')).toBe('[email], [email]; [phone] or [phone]; [card]');
  });

  it('checks the Luhn digit', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('6037997599292522')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
  });
});
