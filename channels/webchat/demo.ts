const PAGE_TEXT = {
  en: { title: 'Sample shop', body: 'This is a sample page of your site. The chat button in the corner is the Parley widget; its script tag is below.' },
  fa: { title: 'فروشگاه نمونه', body: 'این یک صفحهٔ نمونه از سایت شماست. دکمهٔ گفتگو در گوشه، ابزارک پارلی است؛ برچسب اسکریپت آن در پایین آمده است.' },
  ar: { title: 'متجر تجريبي', body: 'هذه صفحة تجريبية من موقعك. زر المحادثة في الزاوية هو أداة Parley؛ وسم السكربت الخاص بها أدناه.' },
} as const;

const escape = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** A sample page that loads the widget the way a site would (?lang=fa|ar for the others). */
export function demoPage(locale: 'en' | 'fa' | 'ar'): string {
  const text = PAGE_TEXT[locale];
  const tag = `<script async src="/webchat/widget.js" data-locale="${locale}"></script>`;
  return `<!doctype html>
<html lang="${locale}" dir="${locale === 'en' ? 'ltr' : 'rtl'}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(text.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.6}code{background:#f3f3f3;padding:.2rem .4rem;direction:ltr;display:inline-block}</style></head>
<body><h1>${escape(text.title)}</h1><p>${escape(text.body)}</p><p><code>${escape(tag)}</code></p>
<p><a href="?lang=en">English</a> · <a href="?lang=fa">فارسی</a> · <a href="?lang=ar">العربية</a></p>
${tag}
</body></html>`;
}
