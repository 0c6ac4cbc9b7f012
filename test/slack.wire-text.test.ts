import { describe, expect, it } from 'vitest';
import { composeMail } from '../channels/email/smtp.ts';
import { OutboundContentSchema } from '../src/core/message.ts';
import { renderRich, richToHtml, richToPlain, richToWhatsApp } from '../src/core/rich-text.ts';
import { fromSlackWire, mentionedUsers } from '../src/desk/slack/wire-text.ts';

const names = { user: (id: string) => ({ UAGENT2: 'Omid', UFA: 'سارا' })[id] };

/** Slack wire text (as message events carry it) → [SMS / plain, WhatsApp]. */
const rows: [wire: string, plain: string, whatsapp: string][] = [
  ['Q&amp;A &lt; 100 &amp;&amp; x &gt; 2', 'Q&A < 100 && x > 2', 'Q&A < 100 && x > 2'],
  ['&amp;lt; stays literal', '&lt; stays literal', '&lt; stays literal'],
  ['see <https://example.com/faq|our FAQ>', 'see our FAQ (https://example.com/faq)', 'see our FAQ (https://example.com/faq)'],
  ['see <https://example.com/faq>', 'see https://example.com/faq', 'see https://example.com/faq'],
  ['see <https://example.com/faq|https://example.com/faq>', 'see https://example.com/faq', 'see https://example.com/faq'],
  ['<https://example.com/a?x=1&amp;y=2|search>', 'search (https://example.com/a?x=1&y=2)', 'search (https://example.com/a?x=1&y=2)'],
  ['<mailto:help@example.com|help@example.com>', 'help@example.com', 'help@example.com'],
  ['write to <mailto:help@example.com|the help desk>', 'write to the help desk (help@example.com)', 'write to the help desk (help@example.com)'],
  ['call <tel:+989121234567|+98 912 123 4567>', 'call +98 912 123 4567 (+989121234567)', 'call +98 912 123 4567 (+989121234567)'],
  ['ask <@UAGENT2>', 'ask Omid', 'ask Omid'],
  ['ask <@UAGENT2|omid.k>', 'ask Omid', 'ask Omid'],
  ['ask <@UNOBODY|legacy.name>', 'ask legacy.name', 'ask legacy.name'],
  ['ask <@UNOBODY>', 'ask a colleague', 'ask a colleague'],
  ['<#C999|billing> will call', 'billing will call', 'billing will call'],
  ['<#C999> will call', 'our team will call', 'our team will call'],
  ['<!subteam^S0123|@support-leads> know', 'support-leads know', 'support-leads know'],
  ['<!subteam^S0123> know', 'our team know', 'our team know'],
  ['<!here> please check', 'please check', 'please check'],
  ['done <!channel>', 'done', 'done'],
  ['on <!date^1392734382^{date_short}|Feb 18, 2014>', 'on Feb 18, 2014', 'on Feb 18, 2014'],
  ['*bold* and _italic_ and ~gone~', 'bold and italic and gone', '*bold* and _italic_ and ~gone~'],
  ['*see <https://x.example|here>*', 'see here (https://x.example)', '*see here (https://x.example)*'],
  ['snake_case_name and 2*3*4 stay', 'snake_case_name and 2*3*4 stay', 'snake_case_name and 2*3*4 stay'],
  ['`a &lt; b` in code', 'a < b in code', '`a < b` in code'],
  ['```\nline 1 &amp;\n*not bold*\n```\nafter', 'line 1 &\n*not bold*\nafter', '```line 1 &\n*not bold*```\nafter'],
  ['&gt; the customer said\nmy answer', '> the customer said\nmy answer', '> the customer said\nmy answer'],
  ['thanks :pray: :+1::skin-tone-3: :tada:', 'thanks 🙏 👍🏼 🎉', 'thanks 🙏 👍🏼 🎉'],
  ['our :custom_party_parrot: emoji', 'our :custom_party_parrot: emoji', 'our :custom_party_parrot: emoji'],
  // Persian, right to left, with a link, a mention and bold.
  [
    'سلام! لطفاً <https://example.com/fa/help|راهنمای ما> را ببینید، *مهم* است',
    'سلام! لطفاً راهنمای ما (https://example.com/fa/help) را ببینید، مهم است',
    'سلام! لطفاً راهنمای ما (https://example.com/fa/help) را ببینید، *مهم* است',
  ],
  ['<@UFA> پاسخ می‌دهد: <https://example.com/order/۱۲۳>', 'سارا پاسخ می‌دهد: https://example.com/order/۱۲۳', 'سارا پاسخ می‌دهد: https://example.com/order/۱۲۳'],
  // Arabic, with an unnamed mention in the customer's language.
  [
    'مرحبا، <@UNOBODY> سيتابع. راجع <https://example.com/ar/faq|الأسئلة الشائعة> &amp; شكراً',
    'مرحبا، زميلي سيتابع. راجع الأسئلة الشائعة (https://example.com/ar/faq) & شكراً',
    'مرحبا، زميلي سيتابع. راجع الأسئلة الشائعة (https://example.com/ar/faq) & شكراً',
  ],
  ['_ملاحظة_ ~قديم~', 'ملاحظة قديم', '_ملاحظة_ ~قديم~'],
];

describe('Slack wire text for customers', () => {
  it.each(rows)('%j', (wire, plain, whatsapp) => {
    const locale = /[\u0600-\u06ff]/.test(wire) ? (/[پچژگکی]/.test(wire) ? 'fa' : 'ar') : 'en';
    const rich = fromSlackWire(wire, names, locale);
    expect(richToPlain(rich)).toBe(plain);
    expect(richToWhatsApp(rich)).toBe(whatsapp);
    // Nothing of Slack's wire form reaches a customer.
    expect(richToPlain(rich)).not.toMatch(/<[@#!]|&amp;(?!lt;)|&gt;/);
  });

  it('names neutral mentions in the customer language', () => {
    expect(richToPlain(fromSlackWire('<@UX> و <#C1>', names, 'fa'))).toBe('همکارم و تیم ما');
    expect(richToPlain(fromSlackWire('<@UX> و <#C1>', names, 'ar'))).toBe('زميلي و فريقنا');
  });

  it('lists the users to look up', () => {
    expect(mentionedUsers('<@U1> <@U2|x> <@U1> <#C1> <!subteam^S1>')).toEqual(['U1', 'U2']);
  });

  it('renders HTML for email: real links, marks, quotes and code; no raw markup', () => {
    const rich = fromSlackWire(
      '&gt; you asked\n*Hi* <https://example.com/?a=1&amp;b=2|our FAQ> &lt;script&gt;\n```x &lt; y```\n<javascript:alert(1)|click>',
      names,
    );
    expect(richToHtml(rich)).toBe(
      '<blockquote>you asked</blockquote><strong>Hi</strong> <a href="https://example.com/?a=1&amp;b=2" dir="auto">our FAQ</a> &lt;script&gt;<pre>x &lt; y</pre>click (javascript:alert(1))',
    );
  });

  it('gives each channel its form, and the email part uses the HTML', () => {
    const rich = fromSlackWire('سلام *مهم* <https://example.com|راهنما>', names, 'fa');
    expect(renderRich(rich, 'none')).toEqual({ text: 'سلام مهم راهنما (https://example.com)' });
    expect(renderRich(rich, 'markdown')).toEqual({ text: 'سلام *مهم* راهنما (https://example.com)' });
    const email = renderRich(rich, 'html');
    expect(email.text).toBe('سلام مهم راهنما (https://example.com)');
    const mail = composeMail(
      {
        messageId: 'm1',
        conversationId: 'c1',
        channel: 'email',
        recipient: 'ali@example.com',
        content: OutboundContentSchema.parse(email),
        authorName: 'Sara',
        authorKind: 'agent',
        attempt: 1,
      },
      { name: 'support', address: 'support@example.com', team: 'support' } as never,
      { subject: 'Re: order', inReplyTo: undefined, references: [] },
    );
    expect(mail.options.text).toBe('سلام مهم راهنما (https://example.com)');
    expect(mail.options.html).toBe(
      '<div dir="rtl" style="white-space: pre-wrap">سلام <strong>مهم</strong> <a href="https://example.com" dir="auto">راهنما</a></div>',
    );
  });
});
