import { foldForMatch } from '../core/text.ts';

export const INTENTS = ['complaint', 'question', 'feedback', 'purchase', 'human', 'other'] as const;
export type Intent = (typeof INTENTS)[number];

export const SENTIMENTS = ['negative', 'neutral', 'positive'] as const;
export type Sentiment = (typeof SENTIMENTS)[number];
export const URGENCIES = ['low', 'normal', 'high'] as const;
export type Urgency = (typeof URGENCIES)[number];

export interface Classification {
  readonly intent: Intent;
  /** 0..1; the keyword classifier says 0.6 on a hit and 0 otherwise. */
  readonly confidence: number;
  readonly source: 'keywords' | 'model';
  /** Told by the model classifier only (src/ai/classify.ts); they raise hand-off priority. */
  readonly sentiment?: Sentiment;
  readonly urgency?: Urgency;
  /** ISO 639-1 code of the message's language. */
  readonly language?: string;
}

/** Where the text comes from, so a classifier can honour per-channel switches. */
export interface ClassifyContext {
  readonly channel?: string;
}

/** Tells what a message is about: the model-backed one (src/ai) or this keyword fallback. */
export interface IntentClassifier {
  classify(text: string, locale: string, context?: ClassifyContext): Promise<Classification>;
}

// Stems matched at word starts after folding (case, diacritics, Arabic/Persian letter variants).
const LEXICON: Record<Exclude<Intent, 'other'>, string[]> = {
  human: [
    'human',
    'person',
    'agent',
    'operator',
    'representative',
    'someone real',
    'talk to',
    'اپراتور',
    'کارشناس',
    'پشتیبان',
    'انسان',
    'آدم',
    'صحبت با',
    'موظف',
    'انسان',
    'شخص',
    'خدمة العملاء',
    'ممثل',
    'التحدث مع',
    'اكلم',
  ],
  complaint: [
    'complain',
    'complaint',
    'problem',
    'issue',
    'broken',
    'damaged',
    'late',
    'never arrived',
    'refund',
    'terrible',
    'awful',
    'angry',
    'disappointed',
    'wrong',
    'شکایت',
    'مشکل',
    'خراب',
    'تاخیر',
    'تأخیر',
    'نرسید',
    'ناراضی',
    'بد',
    'افتضاح',
    'مرجوع',
    'اشتباه',
    'عصبانی',
    'شكوى',
    'شكوي',
    'مشكلة',
    'مشكله',
    'تالف',
    'مكسور',
    'متأخر',
    'تأخير',
    'لم يصل',
    'استرداد',
    'سيء',
    'سيئ',
    'غاضب',
    'خطأ',
  ],
  purchase: [
    'buy',
    'purchase',
    'order',
    'price',
    'cost',
    'how much',
    'discount',
    'available',
    'خرید',
    'بخرم',
    'سفارش',
    'قیمت',
    'چند',
    'تخفیف',
    'موجود',
    'شراء',
    'اشتري',
    'أشتري',
    'طلب',
    'سعر',
    'بكم',
    'كم سعر',
    'خصم',
    'متوفر',
  ],
  feedback: [
    'feedback',
    'suggest',
    'suggestion',
    'thank',
    'great',
    'love',
    'excellent',
    'پیشنهاد',
    'نظر',
    'ممنون',
    'مرسی',
    'عالی',
    'سپاس',
    'اقتراح',
    'رأي',
    'شكرا',
    'ممتاز',
    'رائع',
  ],
  question: [
    'how',
    'what',
    'when',
    'where',
    'why',
    'can i',
    'is there',
    'do you',
    '?',
    'چطور',
    'چگونه',
    'چه',
    'کی',
    'کجا',
    'چرا',
    'آیا',
    '؟',
    'كيف',
    'ماذا',
    'متى',
    'أين',
    'اين',
    'لماذا',
    'هل',
    'ما هو',
  ],
};

const FOLDED = Object.entries(LEXICON).map(([intent, stems]) => [intent as Intent, stems.map(foldForMatch)] as const);

const INTENT_WORDS = new Set(FOLDED.flatMap(([, stems]) => stems.filter((stem) => !stem.includes(' ') && stem.length > 1)));

/** Whether a word, on its own, is one of the lexicons' request words ("complaint", "refund", "شکایت"). */
export const isIntentWord = (word: string): boolean => INTENT_WORDS.has(foldForMatch(word));

/** Deterministic keyword classifier over English, Persian and Arabic lexicons, in priority order. */
export class KeywordIntentClassifier implements IntentClassifier {
  async classify(text: string): Promise<Classification> {
    return classifyByKeywords(text);
  }
}

export function classifyByKeywords(text: string): Classification {
  const folded = ` ${foldForMatch(text)} `;
  for (const [intent, stems] of FOLDED) {
    if (stems.some((stem) => (stem === '?' || stem === '؟' ? folded.includes(stem) : folded.includes(` ${stem}`)))) {
      return { intent, confidence: 0.6, source: 'keywords' };
    }
  }
  return { intent: 'other', confidence: 0, source: 'keywords' };
}
