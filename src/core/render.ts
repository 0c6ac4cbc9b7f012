import type { ChannelCapabilities } from './channel.ts';
import type { OutboundMessage } from './message.ts';

type Content = OutboundMessage['content'];

/**
 * Content as plain text for channels without buttons or lists: options become numbered
 * lines the customer can answer with a number (in any digit system) or the label.
 */
export function renderAsText(content: Content): string {
  const lines: string[] = [];
  if (content.text) lines.push(content.text);
  const options = content.buttons ?? content.list?.sections.flatMap((s) => s.rows) ?? [];
  for (const [index, option] of options.entries()) lines.push(`${index + 1}. ${option.title}`);
  for (const attachment of content.attachments)
    lines.push(`[${attachment.kind}${attachment.fileName ? `: ${attachment.fileName}` : ''}] ${attachment.url ?? ''}`.trim());
  if (content.template && !content.text)
    lines.push(`[template ${content.template.name} (${content.template.language})] ${content.template.params.join(' | ')}`);
  return lines.join('\n');
}

/** Splits text to a channel's maximum length, preferring line and word boundaries. */
export function splitText(text: string, capabilities: Pick<ChannelCapabilities, 'maxTextLength'>): string[] {
  const max = capabilities.maxTextLength;
  const parts: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const window = rest.slice(0, max);
    const cut = Math.max(window.lastIndexOf('\n'), window.lastIndexOf(' '));
    const at = cut > max / 2 ? cut : max;
    parts.push(rest.slice(0, at).trimEnd());
    rest = rest.slice(at).trimStart();
  }
  if (rest.length > 0 || parts.length === 0) parts.push(rest);
  return parts;
}
