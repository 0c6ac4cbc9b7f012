import type { Attachment, OutboundMessage } from '../../src/core/message.ts';
import { renderAsText, splitText } from '../../src/core/render.ts';

type Content = OutboundMessage['content'];

/** One Graph API message body without `to`/`messaging_product` (added when sent). */
export type GraphMessage = { type: string } & Record<string, unknown>;

export const LIMITS = { text: 4096, body: 1024, caption: 1024, buttons: 3, buttonTitle: 20, listRows: 10, listTitle: 24, listButton: 20 } as const;

/** Media the adapter resolves to a Graph `{link}` or an uploaded `{id}`. */
export type MediaRef = { link: string } | { id: string };

const mediaType = (a: Attachment) => (a.kind === 'sticker' || a.kind === 'other' ? (a.mimeType?.startsWith('image/') ? 'image' : 'document') : a.kind);

/**
 * Content as Cloud API messages: buttons (up to 3) and lists (up to 10 rows) as interactive
 * messages, numbered text when they do not fit; media with the text as caption; long text split.
 */
export async function toGraphMessages(content: Content, resolveMedia: (a: Attachment) => Promise<MediaRef>): Promise<GraphMessage[]> {
  const messages: GraphMessage[] = [];
  const text = content.text ?? '';
  const buttons = content.buttons;
  const rows = content.list?.sections.flatMap((s) => s.rows) ?? [];
  const buttonsFit = buttons && buttons.length <= LIMITS.buttons && buttons.every((b) => b.title.length <= LIMITS.buttonTitle);
  const listFits =
    content.list && rows.length <= LIMITS.listRows && rows.every((r) => r.title.length <= LIMITS.listTitle) && content.list.button.length <= LIMITS.listButton;
  const interactive = (buttons && buttonsFit) || (!buttons && listFits);
  const body = text && text.length <= LIMITS.body ? text : undefined;

  const captionable = !interactive && !buttons && !content.list && text.length > 0 && text.length <= LIMITS.caption && content.attachments.length > 0;
  if (!captionable && !interactive && (text || buttons || content.list)) {
    const full = buttons || content.list ? renderAsText({ ...content, attachments: [], template: undefined }) : text;
    for (const part of splitText(full, { maxTextLength: LIMITS.text })) messages.push({ type: 'text', text: { body: part, preview_url: false } });
  }
  if (interactive && !body && text)
    for (const part of splitText(text, { maxTextLength: LIMITS.text })) messages.push({ type: 'text', text: { body: part, preview_url: false } });
  for (const [index, attachment] of content.attachments.entries()) {
    const type = mediaType(attachment);
    const caption = index === 0 && captionable ? text : attachment.caption;
    messages.push({
      type,
      [type]: {
        ...(await resolveMedia(attachment)),
        ...(caption && type !== 'audio' ? { caption } : {}),
        ...(type === 'document' && attachment.fileName ? { filename: attachment.fileName } : {}),
      },
    });
  }
  if (interactive && buttons) {
    messages.push({
      type: 'interactive',
      interactive: {
        type: 'button',
        body: { text: body ?? '👇' },
        action: { buttons: buttons.map((b) => ({ type: 'reply', reply: { id: b.id, title: b.title } })) },
      },
    });
  } else if (interactive && content.list) {
    messages.push({
      type: 'interactive',
      interactive: {
        type: 'list',
        body: { text: body ?? '👇' },
        action: {
          button: content.list.button,
          sections: content.list.sections.map((s) => ({
            ...(s.title ? { title: s.title } : {}),
            rows: s.rows.map((r) => ({ id: r.id, title: r.title, ...(r.description ? { description: r.description } : {}) })),
          })),
        },
      },
    });
  }
  return messages;
}

export function templateMessage(template: NonNullable<Content['template']>): GraphMessage {
  return {
    type: 'template',
    template: {
      name: template.name,
      language: { code: template.language },
      ...(template.params.length > 0 ? { components: [{ type: 'body', parameters: template.params.map((text) => ({ type: 'text', text })) }] } : {}),
    },
  };
}
