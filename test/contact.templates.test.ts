import { describe, expect, it } from 'vitest';
import { TemplateRegistry, TemplatesFileSchema } from '../src/contact/templates.ts';
import { parseYamlConfig } from '../src/routing/yaml-config.ts';

const shipped = () => TemplateRegistry.load('examples/templates.yaml');
const problemsOf = (yaml: string): string[] => {
  try {
    parseYamlConfig('templates.yaml', yaml, TemplatesFileSchema);
    return [];
  } catch (error) {
    return (error as { problems: string[] }).problems;
  }
};

describe('the WhatsApp templates registry', () => {
  it('ships a reply, a win-back and a welcome template in en, fa and ar', () => {
    const registry = shipped();
    expect(registry.list().map((t) => [t.name, t.purpose, Object.keys(t.languages)])).toEqual([
      ['we_have_a_reply', 'reply', ['en', 'fa', 'ar']],
      ['winback_offer', 'winback', ['en', 'fa', 'ar']],
      ['welcome_new_customer', 'welcome', ['en', 'fa', 'ar']],
    ]);
  });

  it("picks the customer's language, then the fallback chain, and fills the variables and button parameters", () => {
    const registry = shipped();
    const winback = registry.resolve('winback', 'fa-IR', { customer_name: 'سارا', offer_code: 'BACK10' });
    expect(winback).toEqual({
      ok: true,
      template: {
        name: 'winback_offer',
        language: 'fa',
        category: 'marketing',
        params: ['سارا', 'BACK10'],
        buttons: [
          { type: 'url', index: 0, text: 'BACK10' },
          { type: 'quick_reply', index: 1, payload: 'winback_no' },
        ],
        text: 'سلام سارا، دلمان برایتان تنگ شده! با کد BACK10 تا آخر هفته ۱۰٪ تخفیف بگیرید.\n\nبرای لغو اشتراک STOP بفرستید',
      },
    });
    expect(registry.languageChain('ar-AE')).toEqual(['ar_AE', 'ar', 'en']);
    expect(registry.resolve('welcome', 'ar-AE', { customer_name: 'ليلى' })).toMatchObject({ ok: true, template: { language: 'ar', params: ['ليلى'] } });
    // No German variant: English, the fallback.
    expect(registry.resolve('reply', 'de', { text: 'Ihre Erstattung ist genehmigt' })).toMatchObject({
      ok: true,
      template: { name: 'we_have_a_reply', language: 'en', buttons: [{ type: 'quick_reply', index: 0, payload: 'reply_continue' }] },
    });
  });

  it('refuses what Meta would refuse, with the reason: a missing variable, a newline, a tab, 5 spaces, a body over 1024 characters, no template', () => {
    const registry = shipped();
    expect(registry.resolve('winback', 'en', { customer_name: 'Sara' })).toEqual({
      ok: false,
      reason: 'template_invalid',
      detail: 'template winback_offer (en): variable {{2}} (offer_code) has no value',
    });
    expect(registry.resolve('winback', 'en', { customer_name: 'Sara\nAhmadi', offer_code: 'X' })).toMatchObject({
      reason: 'template_invalid',
      detail: 'template winback_offer (en): variable {{1}} (customer_name) has a line break',
    });
    expect(registry.resolve('reply', 'en', { text: 'a\tb' })).toMatchObject({ detail: 'template we_have_a_reply (en): variable {{1}} (text) has a tab' });
    expect(registry.resolve('reply', 'en', { text: 'a     b' })).toMatchObject({
      detail: 'template we_have_a_reply (en): variable {{1}} (text) has more than 4 spaces in a row',
    });
    expect(registry.resolve('reply', 'en', { text: 'a    b' })).toMatchObject({ ok: true });
    expect(registry.resolve('reply', 'fa', { text: 'خ'.repeat(1000) })).toEqual({
      ok: false,
      reason: 'template_invalid',
      detail: "template we_have_a_reply (fa): the body is 1065 characters with its variables, over Meta's 1024",
    });
    expect(registry.resolve('birthday', 'en', {})).toEqual({ ok: false, reason: 'template_missing', detail: 'no template has purpose "birthday"' });
    const onlyFa = new TemplateRegistry(
      TemplatesFileSchema.parse({ fallback_languages: [], templates: [{ name: 'x', purpose: 'p', category: 'utility', languages: { fa: { body: 'سلام' } } }] }),
    );
    expect(onlyFa.resolve('p', 'en', {})).toEqual({ ok: false, reason: 'template_missing', detail: 'no template for "p" in en' });
  });

  it('checks a templates file against Meta rules, each problem with its line', () => {
    expect(
      problemsOf(`templates:
  - name: Spring-Sale
    purpose: campaign
    category: marketing
    variables: [customer_name, code]
    languages:
      en:
        body: "{{1}}, spring sale with {{3}}"
        buttons: [{ type: quick_reply, text: "This button text is far too long" }]
      english: { body: "Hi" }
  - name: welcome
    purpose: welcome
    category: promo
    languages:
      en: { body: "Welcome {{1}}" }
`),
    ).toEqual([
      'templates.yaml:2:11: templates.0.name: a template name has only lowercase letters, digits and _ (as Meta requires)',
      "templates.yaml:9:46: templates.0.languages.en.buttons.0.text: a button's text is at most 25 characters",
      'templates.yaml:10:16: templates.0.languages.english: "english" is not a language code such as en, en_US, fa, ar',
      'templates.yaml:8:15: templates.0.languages.en.body: {{3}} is not one of the variables: {{1}} customer_name, {{2}} code',
      'templates.yaml:8:15: templates.0.languages.en.body: a body may not start or end with a variable (Meta rejects it)',
      'templates.yaml:8:15: templates.0.languages.en.body: variable {{2}} (code) is declared but not in the body',
      'templates.yaml:10:24: templates.0.languages.english.body: variable {{1}} (customer_name) is declared but not in the body',
      'templates.yaml:10:24: templates.0.languages.english.body: variable {{2}} (code) is declared but not in the body',
      'templates.yaml:13:15: templates.1.category: Invalid option: expected one of "marketing"|"utility"|"authentication"',
    ]);
    expect(
      problemsOf(`templates:
  - name: spring
    purpose: campaign
    category: marketing
    variables: [customer_name, code]
    languages:
      en: { body: "{{1}}, spring sale with {{3}}" }
  - name: spring
    purpose: campaign
    category: marketing
    languages:
      en: { body: "Spring sale" }
`),
    ).toEqual([
      'templates.yaml:7:19: templates.0.languages.en.body: {{3}} is not one of the variables: {{1}} customer_name, {{2}} code',
      'templates.yaml:7:19: templates.0.languages.en.body: a body may not start or end with a variable (Meta rejects it)',
      'templates.yaml:7:19: templates.0.languages.en.body: variable {{2}} (code) is declared but not in the body',
      'templates.yaml:8:11: templates.1.name: template "spring" is declared twice',
    ]);
  });
});
