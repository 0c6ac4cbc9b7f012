export const SUPPORTED_LOCALES = ['en', 'fa', 'ar'] as const;
export type Locale = (typeof SUPPORTED_LOCALES)[number] | (string & {});

const ARABIC_SCRIPT = /[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]/;
// Letters only Persian uses (پ چ ژ گ, Persian yeh and keheh, Persian digits).
const PERSIAN_ONLY = /[پچژگیک۰-۹]/;
// Letters or forms only Arabic uses (Arabic yeh and kaf, teh marbuta, Arabic-Indic digits).
const ARABIC_ONLY = /[يكة٠-٩]/;

// Country calling codes where Persian, or Arabic, is what an Arabic-script message is written in.
const PERSIAN_CALLING_CODES = ['+98', '+93', '+992'];
// prettier-ignore
const ARABIC_CALLING_CODES = [
  '+971', '+966', '+965', '+974', '+973', '+968', '+967', '+962', '+961', '+963', '+964', '+970', '+20', '+212', '+213', '+216', '+218', '+249', '+222', '+252', '+253',
];

// Words that say which of the two languages an Arabic-script message is in when no letter does:
// greetings that are short and common as a whole message, and frequent function words.
// prettier-ignore
const PERSIAN_WORDS = new Set([
  'سلام', 'درود', 'مرسی', 'ممنون', 'خوبی', 'خوبم', 'چطوری', 'است', 'هست', 'را', 'که', 'این', 'برای', 'شما', 'نه', 'آره', 'باشه', 'سفارشم', 'بسته',
]);
// prettier-ignore
const ARABIC_WORDS = new Set([
  'مرحبا', 'اهلا', 'أهلا', 'هلا', 'شكرا', 'السلام', 'في', 'هل', 'لا', 'نعم', 'ماذا', 'انا', 'أنا', 'هذا', 'عن', 'مع', 'كيف', 'وين', 'شو', 'ابي', 'أبي',
]);
// Persian and Arabic written in Latin letters ("Finglish", "Arabizi"): common words, and for
// Arabizi the digits that stand for letters inside words (3 = ع, 7 = ح, 2 = ء, 5 = خ).
// prettier-ignore
const FINGLISH_WORDS = new Set([
  'salam', 'merci', 'mamnoon', 'mamnun', 'mamnoonam', 'sefaresh', 'sefaresham', 'nareside', 'narside', 'kheili', 'kheyli', 'chera', 'lotfan', 'mikham', 'mikhastam', 'khoob', 'khob', 'baleh', 'bale', 'dorood', 'chetori', 'nist', 'hast', 'kojast', 'kharab', 'shekayat', 'ersal', 'befrestid', 'chi', 'mishe', 'kardam', 'daram', 'nadaram', 'khahesh', 'agha', 'khanom',
]);
// prettier-ignore
const ARABIZI_WORDS = new Set([
  'marhaba', 'mar7aba', 'ahlan', 'shukran', 'shokran', 'inshallah', 'habibi', '7abibi', 'wallah', 'wallahi', 'kifak', 'kifik', 'shu', 'shoo', 'mafi', 'ya3ni', 'yalla', 'salam alaikum', 'assalamu', 'alaikum', 'alaykum', 'wen', 'wain', 'talab', 'ana', 'enta', 'enti', 'momken', 'mumkin', 'la2', 'aywa', 'tayeb', '3ala', 'el', 'sho',
]);
const ARABIZI_DIGIT_IN_WORD = /\b[a-z]*[a-z][2357-9][a-z]+\b|\b[2357-9][a-z]{2,}\b/i;
const LATIN_WORD = /[a-z0-9]+/gi;
const ARABIC_SCRIPT_WORD = /[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]+/g;

/**
 * The language a message is written in. Arabic script wins over Latin in a mixed message
 * ("Hi سلام" is Persian). Persian and Arabic share one script and are told apart by the
 * letters each alone uses, then by common words, then by the sender's phone number. Latin
 * text is English unless it is Persian or Arabic written in Latin letters. undefined when
 * nothing tells.
 */
export function detectLocale(text: string | undefined, sender?: { address?: string }): Locale | undefined {
  if (!text) return undefined;
  if (ARABIC_SCRIPT.test(text)) return arabicScriptLocale(text, sender?.address ?? '');
  if (!/[a-z]/i.test(text)) return undefined;
  const words = (text.match(LATIN_WORD) ?? []).map((w) => w.toLowerCase());
  const finglish = words.filter((w) => FINGLISH_WORDS.has(w)).length;
  const arabizi = words.filter((w) => ARABIZI_WORDS.has(w)).length + (ARABIZI_DIGIT_IN_WORD.test(text) ? 1 : 0);
  // One such word among many English ones ("salam" in a long English mail) does not tell.
  const tells = (count: number) => count > 0 && count * 3 >= words.length;
  if (tells(finglish) && finglish > arabizi) return 'fa';
  if (tells(arabizi) && arabizi > finglish) return 'ar';
  return 'en';
}

function arabicScriptLocale(text: string, address: string): Locale | undefined {
  const persian = (text.match(new RegExp(PERSIAN_ONLY.source, 'g')) ?? []).length;
  const arabic = (text.match(new RegExp(ARABIC_ONLY.source, 'g')) ?? []).length;
  if (persian > arabic) return 'fa';
  if (arabic > persian) return 'ar';
  const words = text.match(ARABIC_SCRIPT_WORD) ?? [];
  const persianWords = words.filter((w) => PERSIAN_WORDS.has(w)).length;
  const arabicWords = words.filter((w) => ARABIC_WORDS.has(w) || (w.length > 3 && w.startsWith('ال'))).length;
  // The sender's country comes first for a word both languages greet with ("سلام" from +971).
  if (PERSIAN_CALLING_CODES.some((code) => address.startsWith(code))) return arabicWords > persianWords ? 'ar' : 'fa';
  if (ARABIC_CALLING_CODES.some((code) => address.startsWith(code))) return persianWords > arabicWords + 1 ? 'fa' : 'ar';
  if (persianWords > arabicWords) return 'fa';
  if (arabicWords > persianWords) return 'ar';
  return undefined;
}

// "English please", "in Persian", "فارسی لطفا", "بالعربي", "عربی": a customer choosing the language.
const LANGUAGE_REQUESTS: readonly (readonly [Locale, RegExp])[] = [
  ['en', /^(?:(?:in|speak|use|switch to)\s+)?english(?:\s+please)?[.!]?$|^انگلیسی(?:\s+لطفا)?$|^(?:بال)?انجليزي(?:ة)?$|^بالإنجليزية$/iu],
  ['fa', /^(?:(?:in|speak|use|switch to)\s+)?(?:persian|farsi)(?:\s+please)?[.!]?$|^(?:به\s+)?فارسی(?:\s+لطفا)?$|^بالفارسي(?:ة)?$|^farsi\s+lotfan$/iu],
  ['ar', /^(?:(?:in|speak|use|switch to)\s+)?arabic(?:\s+please)?[.!]?$|^(?:به\s+)?عربی(?:\s+لطفا)?$|^(?:بال)?عربي(?:ة)?(?:\s+من\s+فضلك)?$|^بالعربية$/iu],
];

/** The language a message asks to be answered in, when that is all it says. */
export function requestedLocale(text: string | undefined): Locale | undefined {
  const trimmed = text?.trim().replace(/\s+/g, ' ');
  if (!trimmed || trimmed.length > 40) return undefined;
  return LANGUAGE_REQUESTS.find(([, pattern]) => pattern.test(trimmed))?.[0];
}
