import type { Attachment, OutboundMessage } from '../../src/core/message.ts';
import { renderAsText, splitText } from '../../src/core/render.ts';
import { truncateLabel, uniqueLabels } from '../../src/core/titles.ts';

type Content = OutboundMessage['content'];

/** One Graph API message body without `to`/`messaging_product` (added when sent). */
export type GraphMessage = { type: string } & Record<string, unknown>;

/**
 * Meta's limits, in characters:
 * text 4096 and caption 1024: https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/text-messages
 * and .../messages/image-messages; reply buttons (1 to 3, title 20, body 1024):
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-reply-buttons-messages
 * lists (10 rows in all, up to 10 sections, row title 24, description 72, section title 24,
 * button 20, body 4096): https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-list-messages
 */
export const LIMITS = {
  text: 4096,
  caption: 1024,
  buttons: 3,
  buttonTitle: 20,
  buttonsBody: 1024,
  listRows: 10,
  listSections: 10,
  listTitle: 24,
  listDescription: 72,
  listSectionTitle: 24,
  listButton: 20,
  listBody: 4096,
} as const;

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
  // Meta accepts 1 to 3 buttons: none at all is plain text, never `buttons: []`.
  const buttons = content.buttons?.length ? content.buttons : undefined;
  const rows = content.list?.sections.flatMap((s) => s.rows) ?? [];
  const buttonsFit = buttons !== undefined && buttons.length <= LIMITS.buttons;
  const listFits = content.list !== undefined && rows.length <= LIMITS.listRows && content.list.sections.length <= LIMITS.listSections;
  const interactive = buttonsFit || (!buttons && listFits);
  const bodyLimit = buttons ? LIMITS.buttonsBody : LIMITS.listBody;
  const body = text && text.length <= bodyLimit ? text : undefined;

  const captionable = !interactive && !buttons && !content.list && text.length > 0 && text.length <= LIMITS.caption && content.attachments.length > 0;
  if (!captionable && !interactive && (text || buttons || content.list)) {
    const full = buttons || content.list ? renderAsText({ ...content, buttons, attachments: [], template: undefined }) : text;
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
    // Titles must be unique within the message: cut to the limit, then told apart.
    const titles = uniqueLabels(
      buttons.map((b) => b.title),
      LIMITS.buttonTitle,
    );
    messages.push({
      type: 'interactive',
      interactive: {
        type: 'button',
        body: { text: body ?? '👇' },
        action: { buttons: buttons.map((b, i) => ({ type: 'reply', reply: { id: b.id, title: titles[i] } })) },
      },
    });
  } else if (interactive && content.list) {
    const titles = uniqueLabels(
      rows.map((r) => r.title),
      LIMITS.listTitle,
    );
    let row = 0;
    messages.push({
      type: 'interactive',
      interactive: {
        type: 'list',
        body: { text: body ?? '👇' },
        action: {
          button: truncateLabel(content.list.button, LIMITS.listButton),
          sections: content.list.sections.map((s) => ({
            ...(s.title ? { title: truncateLabel(s.title, LIMITS.listSectionTitle) } : {}),
            rows: s.rows.map((r) => ({
              id: r.id,
              title: titles[row++],
              ...(r.description ? { description: truncateLabel(r.description, LIMITS.listDescription) } : {}),
            })),
          })),
        },
      },
    });
  }
  return messages;
}

/**
 * A template body parameter as Meta accepts it: no newline or tab, and not more than 4
 * spaces in a row (error 132018, https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes).
 * Line breaks become " | " so separate lines stay apart, tabs a space, 4 or more spaces one.
 */
export function templateParameter(text: string): string {
  return text
    .replace(/\s*(?:\r\n|[\r\n\u2028\u2029])+\s*/g, ' | ')
    .replace(/[\t\v\f]/g, ' ')
    .replace(/ {4,}/g, ' ')
    .trim();
}

/** The Cloud API template object (https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages#template-object). */
type TemplateContent = NonNullable<Content['template']>;
export function templateMessage(template: Omit<TemplateContent, 'buttons'> & { buttons?: TemplateContent['buttons'] }): GraphMessage {
  const components = [
    ...(template.params.length > 0 ? [{ type: 'body', parameters: template.params.map((text) => ({ type: 'text', text: templateParameter(text) })) }] : []),
    ...(template.buttons ?? []).map((b) => ({
      type: 'button',
      sub_type: b.type,
      index: String(b.index),
      parameters: [b.type === 'quick_reply' ? { type: 'payload', payload: b.payload } : { type: 'text', text: b.text }],
    })),
  ];
  return {
    type: 'template',
    template: {
      name: template.name,
      language: { code: template.language },
      ...(components.length > 0 ? { components } : {}),
    },
  };
}

/**
 * Whom a send is addressed to: `to` for a phone number, `recipient` for a business-scoped user
 * id, the only address of a user who adopted a username and whose number Meta withholds
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids:
 * "US.13491208655302741918"; Meta answers 131062 for a message a BSUID cannot receive).
 */
export function addressee(address: string): { to: string } | { recipient: string } {
  return /^\+?\d+$/.test(address) ? { to: address.replace(/^\+/, '') } : { recipient: address };
}
