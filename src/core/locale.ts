export const SUPPORTED_LOCALES = ['en', 'fa', 'ar'] as const;
export type Locale = (typeof SUPPORTED_LOCALES)[number] | (string & {});

const ARABIC_SCRIPT = /[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]/;
// Letters only Persian uses (پ چ ژ گ, Persian yeh and keheh, Persian digits).
const PERSIAN_ONLY = /[پچژگیک۰-۹]/;
// Letters or forms only Arabic uses (Arabic yeh and kaf, teh marbuta, Arabic-Indic digits).
const ARABIC_ONLY = /[يكة٠-٩]/;

// Country calling codes where Persian, or Arabic, is what an Arabic-script message is written in.
const PERSIAN_CALLING_CODES = ['+98', '+93', '+992'];
const ARABIC_CALLING_CODES = [
  '+971',
  '+966',
  '+965',
  '+974',
  '+973',
  '+968',
  '+967',
  '+962',
  '+961',
  '+963',
  '+964',
  '+970',
  '+20',
  '+212',
  '+213',
  '+216',
  '+218',
  '+249',
  '+222',
  '+252',
  '+253',
];

/**
 * The language a message is written in, told by its script: Persian and Arabic share one
 * script and are told apart by the letters each alone uses. A message with none of them
 * ("سلام") is told by the sender's phone number when there is one. undefined when nothing tells.
 */
export function detectLocale(text: string | undefined, sender?: { address?: string }): Locale | undefined {
  if (!text) return undefined;
  if (ARABIC_SCRIPT.test(text)) {
    const persian = (text.match(new RegExp(PERSIAN_ONLY.source, 'g')) ?? []).length;
    const arabic = (text.match(new RegExp(ARABIC_ONLY.source, 'g')) ?? []).length;
    if (persian > arabic) return 'fa';
    if (arabic > persian) return 'ar';
    const address = sender?.address ?? '';
    if (PERSIAN_CALLING_CODES.some((code) => address.startsWith(code))) return 'fa';
    if (ARABIC_CALLING_CODES.some((code) => address.startsWith(code))) return 'ar';
    return undefined;
  }
  if (/[a-z]/i.test(text)) return 'en';
  return undefined;
}
