import type { ChannelCapabilities } from '../core/channel.ts';
import type { OutboundContent } from '../core/message.ts';
import { splitText } from '../core/render.ts';
import { choiceReplyId, ratingScale } from './answers.ts';
import type { Ask } from './schema.ts';
import { localize } from './text.ts';
import { uniqueLabels } from '../core/titles.ts';

const YES_NO: Record<string, [string, string]> = { en: ['Yes', 'No'], fa: ['بله', 'خیر'], ar: ['نعم', 'لا'] };
const LIST_BUTTON: Record<string, string> = { en: 'Choose', fa: 'انتخاب کنید', ar: 'اختر' };

const MAX_BUTTONS = 3;
const MAX_LIST_ROWS = 10;

/** The options of an ask as the customer can pick them, with the reply ids the parser knows. */
export function askOptions(ask: Ask, stepId: string, locale: string): { id: string; title: string }[] {
  if (ask.type === 'choice') return (ask.choices ?? []).map((c) => ({ id: choiceReplyId(stepId, c.id), title: localize(c.label, locale) }));
  if (ask.type === 'yes_no') {
    const [yes, no] = YES_NO[locale] ?? (YES_NO.en as [string, string]);
    return [
      { id: `${stepId}:yes`, title: yes },
      { id: `${stepId}:no`, title: no },
    ];
  }
  if (ask.type === 'rating' || ask.type === 'nps') {
    const { min, max } = ratingScale(ask);
    return Array.from({ length: max - min + 1 }, (_, i) => ({ id: `${stepId}:${min + i}`, title: String(min + i) }));
  }
  return [];
}

/**
 * An ask as the channel can show it: buttons (up to 3), a list (up to 10 rows), or numbered
 * lines the customer answers with a number in any digit system. Text longer than the channel
 * allows is split; the options ride on the last part.
 */
export function renderAsk(text: string, ask: Ask, stepId: string, locale: string, capabilities: ChannelCapabilities | undefined): OutboundContent[] {
  const options = askOptions(ask, stepId, locale);
  const maxLength = capabilities?.maxTextLength ?? 4096;
  const buttons = capabilities?.buttons;
  const list = capabilities?.list;
  let last: OutboundContent;
  let body = text;
  if (options.length > 0 && buttons && options.length <= Math.min(MAX_BUTTONS, buttons.max)) {
    const titles = uniqueLabels(
      options.map((o) => o.title),
      buttons.maxTitleLength,
    );
    last = { text: '', buttons: options.map((o, i) => ({ id: o.id, title: titles[i] as string })) };
  } else if (options.length > 0 && list && options.length <= Math.min(MAX_LIST_ROWS, list.maxRows)) {
    const titles = uniqueLabels(
      options.map((o) => o.title),
      list.maxTitleLength,
    );
    last = {
      text: '',
      list: {
        button: LIST_BUTTON[locale] ?? (LIST_BUTTON.en as string),
        sections: [{ rows: options.map((o, i) => ({ id: o.id, title: titles[i] as string })) }],
      },
    };
  } else {
    // Numbers as answers are obvious for a rating scale; choices get numbered lines.
    if (ask.type === 'choice' || ask.type === 'yes_no') body = `${text}\n${options.map((o, i) => `${i + 1}. ${o.title}`).join('\n')}`;
    last = { text: '' };
  }
  const parts = splitText(body, { maxTextLength: maxLength });
  return parts.map((part, i) => (i === parts.length - 1 ? { ...last, text: part } : { text: part }));
}

/** Plain text within the channel's limit. */
export function renderSay(text: string, capabilities: ChannelCapabilities | undefined): OutboundContent[] {
  return splitText(text, { maxTextLength: capabilities?.maxTextLength ?? 4096 }).map((part) => ({ text: part }));
}
