/** What the bot says when a flow file does not say it itself, in the three shipped languages. */
export const DEFAULT_ERROR: Record<string, string> = {
  en: "Sorry, I didn't understand that.",
  fa: 'ببخشید، متوجه نشدم.',
  ar: 'عذرًا، لم أفهم ذلك.',
};
export const DEFAULT_REMINDER: Record<string, string> = {
  en: 'Just a reminder: we are still waiting for your answer.',
  fa: 'یادآوری: هنوز منتظر پاسخ شما هستیم.',
  ar: 'تذكير: ما زلنا بانتظار إجابتك.',
};
export const DEFAULT_HANDOFF: Record<string, string> = {
  en: "I'm passing your conversation to a colleague from our team, who will answer you here.",
  fa: 'گفت‌وگوی شما را به یکی از همکارانمان می‌سپارم؛ همین‌جا به شما پاسخ می‌دهند.',
  ar: 'سأحوّل محادثتك إلى أحد زملائنا في الفريق، وسيرد عليك هنا.',
};
export const DEFAULT_GIVE_UP: Record<string, string> = {
  en: "Let's leave it there for now. Write to us any time if you need anything.",
  fa: 'فعلاً همین‌جا تمامش می‌کنیم. هر وقت کاری داشتید به ما پیام بدهید.',
  ar: 'لنتوقف هنا الآن. راسلنا في أي وقت إذا احتجت إلى أي شيء.',
};
export const DEFAULT_NAME_CONFIRM: Record<string, string> = {
  en: 'Shall we call you {{name}}?',
  fa: 'شما را {{name}} صدا کنیم؟',
  ar: 'هل نناديك {{name}}؟',
};
export const SKIP_HINT: Record<string, string> = { en: '(or "skip")', fa: '(یا «ندارم»)', ar: '(أو «لا يوجد»)' };
