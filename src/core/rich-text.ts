import type { ChannelCapabilities } from './channel.ts';

/**
 * Formatted text, independent of where it was written (an agent's Slack message) and of where
 * it goes (SMS, WhatsApp, email): each channel renders it in the form it can show.
 */
export type Inline =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'strong' | 'emphasis' | 'strike'; readonly children: readonly Inline[] }
  | { readonly type: 'code'; readonly text: string }
  | { readonly type: 'link'; readonly url: string; readonly label: string };

export type Block = { readonly type: 'line'; readonly quote: boolean; readonly children: readonly Inline[] } | { readonly type: 'pre'; readonly text: string };

export type RichText = readonly Block[];

/** What a link shows as text: the bare address when the label says nothing more, else "label (address)". */
function linkAsText(url: string, label: string): string {
  const shown = url.replace(/^(mailto|tel):/i, '');
  const trimmed = label.trim();
  if (!trimmed || trimmed === url || trimmed === shown) return shown;
  return `${trimmed} (${shown})`;
}

function inlineText(nodes: readonly Inline[], mark: (kind: 'strong' | 'emphasis' | 'strike' | 'code', text: string) => string): string {
  return nodes
    .map((node) => {
      switch (node.type) {
        case 'text':
          return node.text;
        case 'code':
          return mark('code', node.text);
        case 'link':
          return linkAsText(node.url, node.label);
        default:
          return mark(node.type, inlineText(node.children, mark));
      }
    })
    .join('');
}

function linesOf(rich: RichText, inline: (children: readonly Inline[]) => string, pre: (text: string) => string): string {
  return rich.map((block) => (block.type === 'pre' ? pre(block.text) : `${block.quote ? '> ' : ''}${inline(block.children)}`)).join('\n');
}

/** Plain text (SMS, the text part of an email): marks dropped, links as "label (url)". */
export function richToPlain(rich: RichText): string {
  return linesOf(
    rich,
    (children) => inlineText(children, (_kind, text) => text),
    (text) => text,
  );
}

// WhatsApp's own formatting: https://faq.whatsapp.com/539178204879377 (bold, italic, strikethrough, monospace, inline code, quote).
const WHATSAPP_MARK = { strong: '*', emphasis: '_', strike: '~', code: '`' } as const;

/** WhatsApp text: *bold*, _italic_, ~strike~, `code`, ```block```, "> " quotes; links as "label (url)". */
export function richToWhatsApp(rich: RichText): string {
  return linesOf(
    rich,
    (children) => inlineText(children, (kind, text) => (text.trim() ? `${WHATSAPP_MARK[kind]}${text}${WHATSAPP_MARK[kind]}` : text)),
    (text) => `\`\`\`${text}\`\`\``,
  );
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
const SAFE_HREF = /^(https?:|mailto:|tel:)/i;
const HTML_TAG = { strong: 'strong', emphasis: 'em', strike: 'del' } as const;

function inlineHtml(nodes: readonly Inline[]): string {
  return nodes
    .map((node) => {
      switch (node.type) {
        case 'text':
          return escapeHtml(node.text);
        case 'code':
          return `<code>${escapeHtml(node.text)}</code>`;
        case 'link': {
          const label = node.label.trim() || node.url.replace(/^(mailto|tel):/i, '');
          // dir="auto": a Latin label inside a right-to-left paragraph keeps its own direction.
          return SAFE_HREF.test(node.url)
            ? `<a href="${escapeHtml(node.url)}" dir="auto">${escapeHtml(label)}</a>`
            : escapeHtml(linkAsText(node.url, node.label));
        }
        default:
          return `<${HTML_TAG[node.type]}>${inlineHtml(node.children)}</${HTML_TAG[node.type]}>`;
      }
    })
    .join('');
}

/** An HTML fragment (the HTML part of an email): quotes as <blockquote>, code as <pre>/<code>, real links. No newlines: it may sit in a pre-wrap block. */
export function richToHtml(rich: RichText): string {
  let html = '';
  let afterLine = false;
  let quote: string[] = [];
  const flushQuote = () => {
    if (quote.length === 0) return;
    html += `<blockquote>${quote.join('<br>')}</blockquote>`;
    afterLine = false;
    quote = [];
  };
  for (const block of rich) {
    if (block.type === 'line' && block.quote) {
      quote.push(inlineHtml(block.children));
      continue;
    }
    flushQuote();
    if (block.type === 'pre') {
      html += `<pre>${escapeHtml(block.text)}</pre>`;
      afterLine = false;
    } else {
      html += `${afterLine ? '<br>' : ''}${inlineHtml(block.children)}`;
      afterLine = true;
    }
  }
  flushQuote();
  return html;
}

/** The text (and for HTML channels the HTML) a channel that renders `style` shows. */
export function renderRich(rich: RichText, style: ChannelCapabilities['richText']): { text: string; html?: string } {
  switch (style) {
    case 'markdown':
      return { text: richToWhatsApp(rich) };
    case 'html':
      return { text: richToPlain(rich), html: richToHtml(rich) };
    case 'none':
      return { text: richToPlain(rich) };
  }
}
