import Mustache from 'mustache';
import type { LocalizedText } from './schema.ts';

/** The text in the customer's language, else English, else the first one written. */
export function localize(text: LocalizedText, locale: string): string {
  if (typeof text === 'string') return text;
  return text[locale] ?? text.en ?? (Object.values(text)[0] as string);
}

/**
 * Fills {{variables}} with Mustache: logic-less, so a flow file can never run code. Values
 * are not HTML-escaped (messages are plain text); missing variables render empty.
 */
export function fillTemplate(template: string, view: Record<string, unknown>): string {
  if (!template.includes('{{')) return template;
  return Mustache.render(template, view, undefined, { escape: (value: unknown) => String(value) });
}

export const say = (text: LocalizedText, locale: string, view: Record<string, unknown>): string => fillTemplate(localize(text, locale), view);
