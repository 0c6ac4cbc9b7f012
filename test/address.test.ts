import { describe, expect, it } from 'vitest';
import { AddressError, addressCandidates, unreadPhoneReason, normalizeAddress, normalizeEmail, normalizePhone, toAsciiDigits } from '../src/core/address.ts';
import { detectLocale, requestedLocale } from '../src/core/locale.ts';
import { loadConfig } from '../src/config.ts';
import { foldForMatch } from '../src/core/text.ts';

describe('phone numbers to E.164', () => {
  it.each([
    ['+98 912 123 4567', undefined, '+989121234567'],
    ['0098 912 123 4567', undefined, '+989121234567'],
    ['09121234567', 'IR', '+989121234567'],
    ['0912-123-4567', 'IR', '+989121234567'],
    ['۰۹۱۲۱۲۳۴۵۶۷', 'IR', '+989121234567'],
    ['٠٩١٢١٢٣٤٥٦٧', 'IR', '+989121234567'],
    ['+۹۸ ۹۱۲-۱۲۳-۴۵۶۷', undefined, '+989121234567'],
    ['۰۰۹۸۹۱۲۱۲۳۴۵۶۷', undefined, '+989121234567'],
    ['\u200e+98 (912) 123\u00a04567\u200f', undefined, '+989121234567'],
    ['989121234567@c.us', undefined, '+989121234567'],
    ['+971 50 123 4567', undefined, '+971501234567'],
    ['050 123 4567', 'AE', '+971501234567'],
    ['00971501234567', undefined, '+971501234567'],
    ['+٩٧١٥٠١٢٣٤٥٦٧', undefined, '+971501234567'],
    ['+1 (415) 555-2671', undefined, '+14155552671'],
    ['+971 50 123 4567', 'IR', '+971501234567'],
  ])('%s (region %s) -> %s', (input, region, expected) => {
    expect(normalizePhone(input, region)).toBe(expected);
  });

  it.each([
    ['12ab', 'IR', /"12ab" is not a phone number: it contains "ab"/],
    ['+98 912', undefined, /"\+98 912" has the wrong number of digits/],
    ['', 'IR', /empty phone number/],
    ['09121234567', undefined, /no country code and no default region is configured \(set PARLEY_DEFAULT_REGION/],
    ['+98 000 000 0000', undefined, /is not a valid number in IR/],
    ['+999 1234567', undefined, /country code that does not exist|not a phone number/],
  ])('rejects %j with a clear error', (input, region, message) => {
    expect(() => normalizePhone(input, region)).toThrow(message);
    expect(() => normalizePhone(input, region)).toThrow(AddressError);
  });
});

describe('email addresses', () => {
  it.each([
    [' Ali@Example.COM ', 'ali@example.com'],
    ['<Sara@Mail.Example.org>', 'sara@mail.example.org'],
    ['mailto:info@example.ir', 'info@example.ir'],
  ])('%j -> %s', (input, expected) => expect(normalizeEmail(input)).toBe(expected));

  it('rejects what is not an address', () => {
    expect(() => normalizeEmail('ali at example')).toThrow('"ali at example" is not an email address');
  });
});

describe('other addresses and search', () => {
  it('trims opaque ids and reads their digits', () => {
    expect(normalizeAddress('opaque', '  visitor-۴۲ ')).toBe('visitor-42');
    expect(() => normalizeAddress('opaque', '  ')).toThrow('an empty address was given');
  });

  it('tells what a search box entry could be', () => {
    expect(addressCandidates('ALI@example.com')).toEqual([{ kind: 'email', value: 'ali@example.com' }]);
    expect(addressCandidates('۰۹۱۲ ۱۲۳ ۴۵۶۷', 'IR')).toEqual([{ kind: 'phone', value: '+989121234567' }]);
    expect(addressCandidates('Ali Rezaei', 'IR')).toEqual([]);
  });

  it('converts Persian and Arabic-Indic digits and nothing else', () => {
    expect(toAsciiDigits('سفارش ۱۲۳ و ٤٥٦ - 789')).toBe('سفارش 123 و 456 - 789');
  });
});

describe('text folding and language', () => {
  it('matches across case, diacritics, Arabic/Persian letter variants and digits', () => {
    expect(foldForMatch('Café')).toBe(foldForMatch('CAFE'));
    expect(foldForMatch('كيك')).toBe(foldForMatch('کیک'));
    expect(foldForMatch('مُحَمَّد')).toBe(foldForMatch('محمد'));
    expect(foldForMatch('سفارش ۵')).toBe('سفارش 5');
    expect(foldForMatch('  two   words ')).toBe('two words');
  });

  it('tells Persian from Arabic by the letters only each uses', () => {
    expect(detectLocale('سلام، یک سوال دارم')).toBe('fa');
    expect(detectLocale('چطور می‌توانم سفارش بدهم؟')).toBe('fa');
    expect(detectLocale('مرحبا، لدي مشكلة في الطلب')).toBe('ar');
    expect(detectLocale('Hello there')).toBe('en');
    expect(detectLocale('12345')).toBeUndefined();
  });

  it.each([
    ['سلام', undefined, 'fa'],
    ['مرحبا', undefined, 'ar'],
    ['سلام', 'someone@example.com', 'fa'],
    ['مرحبا', '+989121234567', 'ar'],
    ['Hi سلام', undefined, 'fa'],
    ['سلام hi, my order', undefined, 'fa'],
    ['hello مرحبا', undefined, 'ar'],
    ['السلام عليكم', undefined, 'ar'],
    ['درود', undefined, 'fa'],
    ['ممنون', undefined, 'fa'],
    ['شكرا', undefined, 'ar'],
    ['هل الطلب جاهز', undefined, 'ar'],
    ['سفارش من کجاست', undefined, 'fa'],
    ['salam, sefaresham nareside', undefined, 'fa'],
    ['salam kheili mamnoon', undefined, 'fa'],
    ['mar7aba, wen el talab?', undefined, 'ar'],
    ['shukran habibi', undefined, 'ar'],
    ['ana 3ayez a3raf', undefined, 'ar'],
    ['Hello, how are you?', undefined, 'en'],
    ['Salam, I ordered a blue shirt last week and it has not arrived yet', undefined, 'en'],
    ['The pool was closed', undefined, 'en'],
  ])('%j (from %s) is %s', (text, address, locale) => {
    expect(detectLocale(text, address ? { address } : undefined)).toBe(locale);
  });

  it.each([
    ['English please', 'en'],
    ['in English', 'en'],
    ['انگلیسی', 'en'],
    ['فارسی', 'fa'],
    ['به فارسی لطفا', 'fa'],
    ['Persian please', 'fa'],
    ['farsi', 'fa'],
    ['بالعربي', 'ar'],
    ['عربی', 'ar'],
    ['arabic', 'ar'],
    ['I speak English and Persian', undefined],
    ['سلام', undefined],
  ])('%j asks for %s', (text, locale) => {
    expect(requestedLocale(text)).toBe(locale);
  });

  it('tells a message that reads the same in both ("سلام") by the sender\'s country code', () => {
    expect(detectLocale('سلام', { address: '+989121234567' })).toBe('fa');
    expect(detectLocale('سلام', { address: '+971501234567' })).toBe('ar');
    // Letters that tell win over the number: an Arabic speaker on an Iranian number.
    expect(detectLocale('مرحبا، لدي مشكلة', { address: '+989121234567' })).toBe('ar');
  });
});

describe('local numbers of several regions (PARLEY_DEFAULT_REGION=IR,AE, the default)', () => {
  it.each([
    ['0912 123 4567', '+989121234567'],
    ['۰۹۱۲ ۱۲۳ ۴۵۶۷', '+989121234567'],
    ['050 123 4567', '+971501234567'],
    ['٠٥٠ ١٢٣ ٤٥٦٧', '+971501234567'],
    ['+44 20 7946 0958', '+442079460958'],
  ])('%j is %s', (input, e164) => {
    expect(normalizePhone(input, 'IR,AE')).toBe(e164);
  });

  it('says which regions a local number fits none of', () => {
    expect(() => normalizePhone('0123', 'IR,AE')).toThrow(/not a valid local number in IR or AE/);
  });

  it('the default configuration reads Iranian and Emirati local numbers, and refuses a code that is not a country', () => {
    expect(loadConfig({}).PARLEY_DEFAULT_REGION).toBe('IR,AE');
    expect(loadConfig({ PARLEY_DEFAULT_REGION: 'AE, SA' }).PARLEY_DEFAULT_REGION).toBe('AE,SA');
    expect(() => loadConfig({ PARLEY_DEFAULT_REGION: 'IR,XX' })).toThrow(/"XX" is not an ISO 3166 country code/);
  });
});

describe('why a search entry is not read as a phone number', () => {
  it.each([
    ['050 123 4567', 'IR', /no country code and is not a valid local number|not a valid number in IR/],
    ['09121234567', undefined, /no default region is configured/],
    ['+98 912 123 45678', 'IR', /wrong number of digits|not a valid number/],
    ['۰۹۱۲ ۱۲۳', 'IR', /too short|not a valid|wrong number/],
  ])('%s (regions %s) is explained', (query, regions, reason) => {
    expect(unreadPhoneReason(query, regions)).toMatch(reason);
  });

  it.each([
    ['09121234567', 'IR,AE'],
    ['050 123 4567', 'IR,AE'],
    ['Ali Rezaei', 'IR'],
    ['علی ۱۲۳۴۵', 'IR'],
    ['ali@example.com', 'IR'],
    ['123', 'IR'],
  ])('%s (regions %s) needs no explanation', (query, regions) => {
    expect(unreadPhoneReason(query, regions)).toBeUndefined();
  });
});
