import { foldForMatch } from '../core/text.ts';

/**
 * The words customers answer asks with, in the three shipped languages. Every list is folded
 * (foldForMatch) once, so letter variants, case and diacritics never matter. Persian entries
 * are written without the zero-width non-joiner: folding drops it ("نمی‌خوام" = "نمیخوام").
 */
const folded = (words: readonly string[]) => new Set(words.map(foldForMatch));

// prettier-ignore
export const YES_WORDS = folded([
  // en
  'yes', 'y', 'yeah', 'yea', 'yep', 'yup', 'sure', 'ok', 'okay', 'okey', 'k', 'of course', 'absolutely', 'definitely', 'certainly', 'right', 'correct', 'please do', 'go ahead',
  // fa
  'بله', 'بلی', 'آره', 'اره', 'آری', 'باشه', 'حتما', 'البته', 'اوکی', 'اوکه', 'اکی', 'اوك', 'اوک', 'موافقم', 'درسته', 'صحیح', 'چرا که نه',
  // ar
  'نعم', 'أجل', 'اجل', 'ايوه', 'أيوه', 'ايوا', 'بلى', 'طبعا', 'حسنا', 'أكيد', 'اكيد', 'تمام', 'ماشي', 'اوكي', 'إيه', 'ايه', 'صح', 'موافق',
  // gestures
  '👍', '✅', '✔', '👌', '🙆',
]);

// prettier-ignore
export const NO_WORDS = folded([
  // en
  'no', 'n', 'nope', 'nah', 'not', 'never', 'no thanks', 'no thank you', 'not really', 'not now', 'negative',
  // fa
  'نه', 'خیر', 'نخیر', 'نچ', 'ابدا', 'نمیخوام', 'نمیخواهم', 'مخالفم', 'نه ممنون', 'نه مرسی', 'اصلا', 'هرگز',
  // ar
  'لا', 'كلا', 'کلا', 'لأ', 'لاء', 'مش', 'لا شكرا', 'مو', 'ابدا', 'أبدا', 'غير موافق', 'مستحيل',
  // gestures
  '👎', '❌', '🙅', '✖',
]);

export const SKIP_WORDS = folded(['skip', 'none', 'no', 'n/a', '-', 'ندارم', 'نه', 'هیچ', 'رد', 'بعدا', 'لا', 'لا يوجد', 'لايوجد', 'تخطي', 'ليس لدي']);

/** Words mapped to a number, each list written on one line per value. */
const scored = (lists: readonly (readonly [number, readonly string[]])[]): ReadonlyMap<string, number> =>
  new Map(lists.flatMap(([value, words]) => words.map((w) => [foldForMatch(w), value] as const)));

/** Number words 0-10, for ratings typed as words. */
// prettier-ignore
export const NUMBER_WORDS = scored([
  [0, ['zero', 'صفر']],
  [1, ['one', 'یک', 'يك', 'واحد']],
  [2, ['two', 'دو', 'اثنان', 'اثنين']],
  [3, ['three', 'سه', 'ثلاثة', 'ثلاث']],
  [4, ['four', 'چهار', 'أربعة', 'اربعة', 'أربع']],
  [5, ['five', 'پنج', 'خمسة', 'خمس']],
  [6, ['six', 'شش', 'ستة', 'ست']],
  [7, ['seven', 'هفت', 'سبعة', 'سبع']],
  [8, ['eight', 'هشت', 'ثمانية', 'ثماني']],
  [9, ['nine', 'نه', 'تسعة', 'تسع']],
  [10, ['ten', 'ده', 'عشرة', 'عشر']],
]);

/**
 * Verdicts typed instead of a number, on a 1-5 scale (scaled to the ask's own scale). A
 * qualifier in front ("very good", "خیلی خوب", "جيد جدا") is listed as its own entry.
 */
// prettier-ignore
export const QUALITY_WORDS = scored([
  [5, ['excellent', 'perfect', 'awesome', 'amazing', 'great', 'fantastic', 'outstanding', 'superb', 'very good', 'love it', 'عالی', 'عالیه', 'فوق العاده', 'خیلی خوب', 'بی نظیر', 'محشر', 'ممتاز', 'رائع', 'ممتازة', 'رائعة', 'جيد جدا', 'مذهل', '😍', '🤩', '😁', '❤', '🥰']],
  [4, ['good', 'nice', 'fine', 'pretty good', 'خوب', 'خوبه', 'جيد', 'جيدة', 'حلو', 'كويس', '🙂', '😊', '😀', '😃']],
  [3, ['ok', 'okay', 'average', 'so so', 'so-so', 'not bad', 'meh', 'معمولی', 'متوسط', 'بد نبود', 'بدک نیست', 'نه خوب نه بد', 'عادي', 'مقبول', 'لا بأس', '😐', '😶']],
  [2, ['bad', 'poor', 'not good', 'disappointing', 'بد', 'ضعیف', 'خوب نبود', 'سيء', 'سيئ', 'ضعيف', 'مش كويس', '🙁', '😕', '😞', '😟']],
  [1, ['terrible', 'awful', 'horrible', 'worst', 'very bad', 'افتضاح', 'خیلی بد', 'افتضاحه', 'داغون', 'افتضاح بود', 'سيء جدا', 'فظيع', 'زفت', '😡', '😠', '🤬', '😤', '😭']],
]);

/** Rating symbols counted one point each ("⭐⭐⭐⭐" is 4 of 5). */
export const STAR_PATTERN = /[⭐★🌟✩☆]/gu;

/** Words that carry no meaning when matching an answer to an option. */
// prettier-ignore
export const STOP_WORDS = folded([
  // en
  'a', 'an', 'the', 'my', 'i', 'me', 'you', 'your', 'it', 'its', 'is', 'was', 'were', 'be', 'am', 'are', 'of', 'to', 'for', 'and', 'or', 'with', 'on', 'in', 'at', 'by', 'from', 'this', 'that', 'please', 'because', 'want', 'would', 'like', 'can', 'could', 'need', 'so', 'just', 'about', 'we', 'us', 'our', 'they', 'did', 'do', 'have', 'has',
  // fa
  'و', 'از', 'به', 'با', 'در', 'را', 'که', 'این', 'اون', 'آن', 'من', 'یک', 'یه', 'هم', 'است', 'هست', 'بود', 'برای', 'شما', 'ما', 'تا', 'چون', 'دارم', 'داشتم', 'میخواهم', 'میخوام', 'میخواستم', 'لطفا',
  // ar ('على' is left out: folded it is the name Ali, 'علی')
  'في', 'من', 'الى', 'إلى', 'عن', 'مع', 'هذا', 'هذه', 'انا', 'أنا', 'لي', 'ان', 'أن', 'كان', 'او', 'أو', 'عبر', 'لان', 'لأن', 'لدي', 'عندي', 'اريد', 'أريد', 'ابغى', 'بدي', 'ممكن', 'فضلك',
]);

/** Month names (Solar Hijri in Persian; Gregorian in en/fa/ar), 1-based. */
// prettier-ignore
export const JALALI_MONTHS = scored(
  ['فروردین', 'اردیبهشت', 'خرداد', 'تیر', 'مرداد', 'شهریور', 'مهر', 'آبان', 'آذر', 'دی', 'بهمن', 'اسفند'].map((m, i) => [i + 1, [m]] as const),
);

// prettier-ignore
export const GREGORIAN_MONTHS = scored([
  [1, ['january', 'jan', 'ژانویه', 'يناير', 'كانون الثاني']],
  [2, ['february', 'feb', 'فوریه', 'فبراير', 'شباط']],
  [3, ['march', 'mar', 'مارس', 'آذار']],
  [4, ['april', 'apr', 'آوریل', 'أبريل', 'ابريل', 'نيسان']],
  [5, ['may', 'مه', 'می', 'مايو', 'أيار']],
  [6, ['june', 'jun', 'ژوئن', 'يونيو', 'حزيران']],
  [7, ['july', 'jul', 'ژوئیه', 'جولای', 'يوليو', 'تموز']],
  [8, ['august', 'aug', 'اوت', 'آگوست', 'أغسطس', 'اغسطس', 'آب']],
  [9, ['september', 'sep', 'sept', 'سپتامبر', 'سبتمبر', 'أيلول']],
  [10, ['october', 'oct', 'اکتبر', 'أكتوبر', 'اكتوبر', 'تشرين الأول']],
  [11, ['november', 'nov', 'نوامبر', 'نوفمبر', 'تشرين الثاني']],
  [12, ['december', 'dec', 'دسامبر', 'ديسمبر', 'كانون الأول']],
]);

/** Days relative to today, in days. */
// prettier-ignore
export const RELATIVE_DAYS = scored([
  [0, ['today', 'امروز', 'اليوم', 'النهارده']],
  [1, ['tomorrow', 'فردا', 'غدا', 'بكرة', 'بكره', 'بكرا']],
  [-1, ['yesterday', 'دیروز', 'أمس', 'امس', 'البارحة', 'مبارح']],
  [2, ['day after tomorrow', 'the day after tomorrow', 'پس فردا', 'پسفردا', 'بعد غد', 'بعد بكرة']],
  [-2, ['day before yesterday', 'the day before yesterday', 'پریروز', 'اول امس', 'أول أمس']],
]);
