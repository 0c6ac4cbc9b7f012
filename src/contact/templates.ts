import { z } from 'zod';
import { readYamlConfig } from '../routing/yaml-config.ts';

/**
 * The WhatsApp message templates Parley may send (PARLEY_TEMPLATES_FILE), each approved by Meta
 * per language, checked against Meta's rules before a send: a template refused here would be
 * refused by Meta after the customer was counted as contacted.
 * Rules: https://developers.facebook.com/docs/whatsapp/business-management-api/message-templates/
 * and the template object of https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages#template-object
 */
export const TEMPLATE_LIMITS = {
  /** Characters of a template body, with its variables filled in. */
  body: 1024,
  footer: 60,
  buttonText: 25,
  buttons: 10,
  url: 2000,
  name: 512,
} as const;

const FieldName = z.string().regex(/^[a-z][a-z0-9_]*$/, 'a variable is a field name in lowercase letters, digits and _ (e.g. customer_name)');

const ButtonSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('quick_reply'),
    text: z.string().min(1).max(TEMPLATE_LIMITS.buttonText, `a button's text is at most ${TEMPLATE_LIMITS.buttonText} characters`),
    /** Sent back in the customer's reply (the webhook's button payload) so a flow can tell which was tapped. */
    payload: z.string().min(1).optional(),
  }),
  z.strictObject({
    type: z.literal('url'),
    text: z.string().min(1).max(TEMPLATE_LIMITS.buttonText, `a button's text is at most ${TEMPLATE_LIMITS.buttonText} characters`),
    /** As approved; a dynamic URL ends with {{1}}, filled from `variable`. */
    url: z.url().max(TEMPLATE_LIMITS.url),
    variable: FieldName.optional(),
  }),
]);

const VariantSchema = z.strictObject({
  body: z.string().min(1).max(TEMPLATE_LIMITS.body, `a template body is at most ${TEMPLATE_LIMITS.body} characters`),
  footer: z.string().min(1).max(TEMPLATE_LIMITS.footer, `a footer is at most ${TEMPLATE_LIMITS.footer} characters`).optional(),
  buttons: z.array(ButtonSchema).max(TEMPLATE_LIMITS.buttons, `a template has at most ${TEMPLATE_LIMITS.buttons} buttons`).default([]),
});

// Meta's language codes: "en", "en_US", "fa", "ar", "pt_BR", ...
const LANGUAGE_CODE = /^[a-z]{2,3}(_[A-Z]{2})?$/;
const LanguageCode = z.string().regex(LANGUAGE_CODE, 'a language is a code such as en, en_US, fa, ar');

const TemplateSchema = z
  .strictObject({
    name: z
      .string()
      .max(TEMPLATE_LIMITS.name)
      .regex(/^[a-z0-9_]+$/, 'a template name has only lowercase letters, digits and _ (as Meta requires)'),
    /** What Parley uses it for: reply (agent replies outside the window), winback, welcome, or a campaign's own. */
    purpose: z.string().regex(/^[a-z0-9_-]+$/, 'a purpose is a word such as reply, winback, welcome'),
    category: z.enum(['marketing', 'utility', 'authentication']),
    /** {{1}} is the first field named here, {{2}} the second, ... */
    variables: z.array(FieldName).default([]),
    languages: z.record(z.string(), VariantSchema).superRefine((languages, ctx) => {
      if (Object.keys(languages).length === 0) ctx.addIssue({ code: 'custom', message: 'a template needs at least one language' });
      for (const code of Object.keys(languages))
        if (!LANGUAGE_CODE.test(code)) ctx.addIssue({ code: 'custom', path: [code], message: `"${code}" is not a language code such as en, en_US, fa, ar` });
    }),
  })
  .superRefine((template, ctx) => {
    for (const [language, variant] of Object.entries(template.languages)) {
      const used = [...variant.body.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)].map((m) => m[1]!);
      for (const u of used) {
        const n = /^\d+$/.test(u) ? Number(u) : NaN;
        if (!(n >= 1 && n <= template.variables.length))
          ctx.addIssue({
            code: 'custom',
            path: ['languages', language, 'body'],
            message: `{{${u}}} is not one of the variables: ${template.variables.length === 0 ? 'none are declared' : template.variables.map((v, i) => `{{${i + 1}}} ${v}`).join(', ')}`,
          });
      }
      // Meta rejects a body that starts or ends with a variable.
      if (/^\s*\{\{[^}]*\}\}|\{\{[^}]*\}\}[\s.!?،؟]*$/.test(variant.body))
        ctx.addIssue({ code: 'custom', path: ['languages', language, 'body'], message: 'a body may not start or end with a variable (Meta rejects it)' });
      template.variables.forEach((v, i) => {
        if (!used.includes(String(i + 1)))
          ctx.addIssue({ code: 'custom', path: ['languages', language, 'body'], message: `variable {{${i + 1}}} (${v}) is declared but not in the body` });
      });
      variant.buttons.forEach((b, i) => {
        if (b.type === 'url' && b.url.endsWith('{{1}}') !== (b.variable !== undefined))
          ctx.addIssue({
            code: 'custom',
            path: ['languages', language, 'buttons', i],
            message: 'a URL button has a variable exactly when its url ends with {{1}}',
          });
      });
    }
  });

export const TemplatesFileSchema = z.strictObject({
  /** Languages tried after the customer's own, in order (e.g. [en]). */
  fallback_languages: z.array(LanguageCode).default(['en']),
  templates: z.array(TemplateSchema).superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((t, i) => {
      if (seen.has(t.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `template "${t.name}" is declared twice` });
      seen.add(t.name);
    });
  }),
});
export type TemplatesFile = z.output<typeof TemplatesFileSchema>;
export type TemplateDefinition = TemplatesFile['templates'][number];

/** A template button's parameter at send time (Meta: components of type "button"). */
export type TemplateButtonParameter =
  { readonly type: 'quick_reply'; readonly index: number; readonly payload: string } | { readonly type: 'url'; readonly index: number; readonly text: string };

/** A template ready to send: what OutboundContent.template carries, plus its category and rendered text. */
export interface ResolvedTemplate {
  readonly name: string;
  readonly language: string;
  readonly category: TemplateDefinition['category'];
  /** Body parameters {{1}}..{{n}} in order. */
  readonly params: string[];
  readonly buttons: TemplateButtonParameter[];
  /** The body (and footer) as the customer reads it: stored as the message's text. */
  readonly text: string;
}

export type TemplateResult = { ok: true; template: ResolvedTemplate } | { ok: false; reason: 'template_missing' | 'template_invalid'; detail: string };

/** Meta refuses a parameter with a newline or tab, or more than 4 spaces in a row (error 132018). */
function parameterProblem(value: string): string | undefined {
  if (/[\r\n\u2028\u2029]/.test(value)) return 'has a line break';
  if (/\t/.test(value)) return 'has a tab';
  if (/ {5,}/.test(value)) return 'has more than 4 spaces in a row';
  return undefined;
}

const baseLanguage = (code: string) => code.split(/[-_]/)[0]!.toLowerCase();

export class TemplateRegistry {
  constructor(readonly file: TemplatesFile) {}

  /** Reads and checks a templates file; a ConfigFileError lists every problem with its line. */
  static load(path: string): TemplateRegistry {
    return new TemplateRegistry(readYamlConfig(path, TemplatesFileSchema));
  }

  list(): readonly TemplateDefinition[] {
    return this.file.templates;
  }

  /** The languages tried for a customer's locale: theirs ("fa-IR", then "fa"), then the fallbacks. */
  languageChain(locale: string | undefined): string[] {
    const own = locale ? [locale.replace('-', '_'), baseLanguage(locale)] : [];
    return [...new Set([...own, ...this.file.fallback_languages])];
  }

  /**
   * The template for `purpose` in the customer's language (or the first fallback that has one),
   * its variables filled from `values` and checked against Meta's rules; otherwise the reason
   * (template_missing, template_invalid) and what exactly is wrong.
   */
  resolve(purpose: string, locale: string | undefined, values: Readonly<Record<string, string | undefined>>): TemplateResult {
    const candidates = this.file.templates.filter((t) => t.purpose === purpose);
    if (candidates.length === 0) return { ok: false, reason: 'template_missing', detail: `no template has purpose "${purpose}"` };
    const chain = this.languageChain(locale);
    for (const wanted of chain) {
      for (const template of candidates) {
        const language =
          Object.keys(template.languages).find((l) => l === wanted) ?? Object.keys(template.languages).find((l) => baseLanguage(l) === baseLanguage(wanted));
        if (language) return fill(template, language, values);
      }
    }
    return { ok: false, reason: 'template_missing', detail: `no template for "${purpose}" in ${chain.join(', ')}` };
  }
}

function fill(template: TemplateDefinition, language: string, values: Readonly<Record<string, string | undefined>>): TemplateResult {
  const variant = template.languages[language]!;
  const where = `template ${template.name} (${language})`;
  const valueOf = (field: string, label: string): { value: string } | { problem: string } => {
    const value = values[field]?.trim();
    if (!value) return { problem: `${where}: variable ${label} (${field}) has no value` };
    const problem = parameterProblem(value);
    return problem ? { problem: `${where}: variable ${label} (${field}) ${problem}` } : { value };
  };
  const params: string[] = [];
  for (const [i, field] of template.variables.entries()) {
    const got = valueOf(field, `{{${i + 1}}}`);
    if ('problem' in got) return { ok: false, reason: 'template_invalid', detail: got.problem };
    params.push(got.value);
  }
  const body = variant.body.replace(/\{\{\s*(\d+)\s*\}\}/g, (_m, n: string) => params[Number(n) - 1]!);
  if (body.length > TEMPLATE_LIMITS.body)
    return {
      ok: false,
      reason: 'template_invalid',
      detail: `${where}: the body is ${body.length} characters with its variables, over Meta's ${TEMPLATE_LIMITS.body}`,
    };
  const buttons: TemplateButtonParameter[] = [];
  for (const [index, button] of variant.buttons.entries()) {
    if (button.type === 'quick_reply' && button.payload) buttons.push({ type: 'quick_reply', index, payload: button.payload });
    if (button.type === 'url' && button.variable) {
      const got = valueOf(button.variable, `of button ${index + 1}`);
      if ('problem' in got) return { ok: false, reason: 'template_invalid', detail: got.problem };
      buttons.push({ type: 'url', index, text: got.value });
    }
  }
  return {
    ok: true,
    template: { name: template.name, language, category: template.category, params, buttons, text: variant.footer ? `${body}\n\n${variant.footer}` : body },
  };
}
