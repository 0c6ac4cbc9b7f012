import type { Block, Inline, RichText } from '../../core/rich-text.ts';
import { emojiFor } from './emoji.ts';

/**
 * Slack's wire format (the `text` of a message event) as formatted text for a customer.
 * https://docs.slack.dev/messaging/formatting-message-text: `&`, `<` and `>` arrive escaped,
 * everything in angle brackets is an entity (link, mention, broadcast, date), and *bold*,
 * _italic_, ~strike~, `code`, ```blocks``` and "> " quotes are marks around words.
 */

/** Names a customer may see for what an agent mentioned; undefined falls back to a neutral word. */
export interface MentionNames {
  /** The display name of a Slack user (<@U…>). */
  user(id: string): string | undefined;
}

/** Neutral words for mentions Parley cannot name, in the customer's language. */
const NEUTRAL: Record<string, { colleague: string; team: string }> = {
  en: { colleague: 'a colleague', team: 'our team' },
  fa: { colleague: 'همکارم', team: 'تیم ما' },
  ar: { colleague: 'زميلي', team: 'فريقنا' },
};

const neutralFor = (locale: string) => NEUTRAL[locale.split('-')[0] as string] ?? (NEUTRAL.en as { colleague: string; team: string });

/** `&amp;`, `&lt;`, `&gt;`: the only escapes Slack uses. */
export const unescapeSlack = (text: string): string => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** The user ids mentioned (<@U…>), to look their names up before converting. */
export function mentionedUsers(wire: string): string[] {
  return [...new Set([...wire.matchAll(/<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g)].map((m) => m[1] as string))];
}

/** One `<…>` entity as the customer sees it: a link, a name, or nothing (broadcasts). */
function entity(body: string, names: MentionNames, locale: string): Inline | undefined {
  const bar = body.indexOf('|');
  const target = bar === -1 ? body : body.slice(0, bar);
  const label = bar === -1 ? undefined : unescapeSlack(body.slice(bar + 1));
  const neutral = neutralFor(locale);
  if (target.startsWith('@')) return { type: 'text', text: names.user(target.slice(1)) ?? label?.replace(/^@/, '') ?? neutral.colleague };
  if (target.startsWith('#')) return { type: 'text', text: label?.replace(/^#/, '') || neutral.team };
  if (target.startsWith('!subteam^')) return { type: 'text', text: label?.replace(/^@/, '') || neutral.team };
  // <!here>, <!channel>, <!everyone> call colleagues; they mean nothing to a customer.
  if (/^!(here|channel|everyone)$/.test(target)) return undefined;
  // <!date^1392734382^{date_short}|Feb 18, 2014>: the fallback text is the readable date.
  if (target.startsWith('!')) return label === undefined ? undefined : { type: 'text', text: label };
  const url = unescapeSlack(target);
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) return { type: 'link', url, label: label ?? url };
  return { type: 'text', text: label ?? url };
}

// Private-use characters stand in for entities and code while marks are parsed.
const HOLE = 0xe000;
const HOLE_PATTERN = /[\ue000-\uf8ff]/u;

const MARKS: Record<string, 'strong' | 'emphasis' | 'strike'> = { '*': 'strong', _: 'emphasis', '~': 'strike' };
// A mark opens after the start, a space or punctuation and closes before the end, a space or punctuation (snake_case stays).
const MARKED = /(^|[\s\p{P}\p{S}])([*_~])(?![\s*_~])((?:(?!\2).)*?[^\s])\2(?=$|[\s\p{P}\p{S}])/u;

function emojified(text: string): string {
  return text.replace(/:([a-z0-9_+'-]+):(?::skin-tone-([2-6]):)?/g, (whole, name: string, tone?: string) => emojiFor(name, tone) ?? whole);
}

function marks(text: string, holes: readonly Inline[]): Inline[] {
  const out: Inline[] = [];
  let rest = text;
  for (let match = MARKED.exec(rest); match; match = MARKED.exec(rest)) {
    const start = match.index + (match[1] as string).length;
    if (start > 0) out.push(...filled(rest.slice(0, start), holes));
    out.push({ type: MARKS[match[2] as string] as 'strong', children: marks(match[3] as string, holes) });
    rest = rest.slice(match.index + match[0].length);
  }
  if (rest) out.push(...filled(rest, holes));
  return out;
}

/** Plain text with its holes put back (entities and code spans). */
function filled(text: string, holes: readonly Inline[]): Inline[] {
  const out: Inline[] = [];
  let buffer = '';
  for (const char of text) {
    if (HOLE_PATTERN.test(char)) {
      if (buffer) out.push({ type: 'text', text: emojified(unescapeSlack(buffer)) });
      buffer = '';
      const hole = holes[(char.codePointAt(0) as number) - HOLE];
      if (hole) out.push(hole);
    } else buffer += char;
  }
  if (buffer) out.push({ type: 'text', text: emojified(unescapeSlack(buffer)) });
  return out;
}

function inlines(line: string, names: MentionNames, locale: string): Inline[] {
  const holes: Inline[] = [];
  const hole = (node: Inline | undefined) => {
    holes.push(node ?? { type: 'text', text: '' });
    return String.fromCodePoint(HOLE + holes.length - 1);
  };
  const held = line
    .replace(/`([^`\n]+)`/g, (_whole, code: string) => hole({ type: 'code', text: unescapeSlack(code) }))
    .replace(/<([^<>\n]+)>/g, (_whole, body: string) => hole(entity(body, names, locale)));
  return merge(marks(held, holes));
}

/** Adjacent text nodes as one, empty ones dropped. */
function merge(nodes: Inline[]): Inline[] {
  const out: Inline[] = [];
  for (const node of nodes) {
    const last = out[out.length - 1];
    if (node.type === 'text' && !node.text) continue;
    if (node.type === 'text' && last?.type === 'text') out[out.length - 1] = { type: 'text', text: last.text + node.text };
    else out.push(node);
  }
  return out;
}

/** Tidies what a dropped broadcast leaves: "<!here> hi" reads "hi", not " hi". */
function tidy(nodes: Inline[]): Inline[] {
  return nodes.map((node, index) => {
    if (node.type !== 'text') return node;
    let text = node.text.replace(/ {2,}/g, ' ');
    if (index === 0) text = text.trimStart();
    if (index === nodes.length - 1) text = text.trimEnd();
    return { type: 'text', text };
  });
}

/** Converts an agent's Slack message text (wire format) into formatted text for the customer. */
export function fromSlackWire(wire: string, names: MentionNames, locale = 'en'): RichText {
  const blocks: Block[] = [];
  const parts = wire.split(/```/);
  parts.forEach((part, index) => {
    // Odd parts sit between ``` fences; an unclosed fence stays text.
    if (index % 2 === 1 && index < parts.length - 1) {
      blocks.push({ type: 'pre', text: unescapeSlack(part.replace(/^\n/, '').replace(/\n$/, '')) });
      return;
    }
    let text = index % 2 === 1 ? `\`\`\`${part}` : part;
    if (index > 0) text = text.replace(/^\n/, '');
    if (index < parts.length - 1) text = text.replace(/\n$/, '');
    if (!text && parts.length > 1) return;
    for (const line of text.split('\n')) {
      const quoted = /^&gt;\s?/.exec(line);
      const body = quoted ? line.slice(quoted[0].length) : line;
      blocks.push({ type: 'line', quote: quoted !== null, children: tidy(inlines(body, names, locale)) });
    }
  });
  return blocks;
}
