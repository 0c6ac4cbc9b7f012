import type { AgentText } from '../../agent-text/agent-text.ts';
import type { Attachment } from '../../core/message.ts';
import { escapeMrkdwn, link, slackDate, truncate } from './mrkdwn.ts';

export interface TranscriptMessage {
  readonly id: string;
  readonly authorKind: 'customer' | 'bot' | 'agent' | 'system';
  readonly authorName: string;
  readonly text: string | null;
  readonly attachments: readonly Attachment[];
  readonly createdAt: Date;
  readonly isInternalNote: boolean;
  /** The channel it went out on when that is not the conversation's own (an emailed copy of a web chat reply). */
  readonly via?: string;
}

export interface TranscriptChunk {
  readonly text: string;
  /** The Parley messages this Slack message shows. */
  readonly messageIds: string[];
}

/** A Slack message stays well under Slack's 4,000-character advice for readable posts. */
export const CHUNK_LIMIT = 3500;

const ICON: Record<TranscriptMessage['authorKind'], string> = {
  customer: ':bust_in_silhouette:',
  bot: ':robot_face:',
  agent: ':technologist:',
  system: ':gear:',
};

/** Attachments Slack can show as links; local files are uploaded instead (see `uploadable`). */
function attachmentLine(a: Attachment, text: AgentText): string {
  const label = a.fileName ?? a.caption ?? a.kind;
  if (a.url && /^https?:\/\//i.test(a.url)) return `:paperclip: ${link(a.url, label)}`;
  if (a.url?.startsWith('file:')) return `:paperclip: ${escapeMrkdwn(label)} ${text.t('transcript.uploaded_below')}`;
  return `:paperclip: ${escapeMrkdwn(`[${a.kind}${a.fileName ? `: ${a.fileName}` : ''}]`)}`;
}

export const uploadable = (a: Attachment): boolean => Boolean(a.url?.startsWith('file:'));

function messageLines(m: TranscriptMessage, maxText: number, text: AgentText): string {
  const lines: string[] = [];
  if (m.text) lines.push(escapeMrkdwn(truncate(m.text, maxText)));
  for (const a of m.attachments) lines.push(attachmentLine(a, text));
  if (lines.length === 0) lines.push(text.t('transcript.empty'));
  return lines.join('\n');
}

/**
 * Messages as Slack posts, in order: a header when the author changes, then the text. Each
 * chunk is one post; a message is never split across posts. `condensed` (the transcript at
 * hand-off) shortens long texts and keeps only the most recent messages.
 */
export function formatMessages(
  messages: readonly TranscriptMessage[],
  words: AgentText,
  options: { heading?: string; condensed?: boolean } = {},
): TranscriptChunk[] {
  const maxText = options.condensed ? 400 : CHUNK_LIMIT - 200;
  const keep = options.condensed ? 40 : Number.POSITIVE_INFINITY;
  const shown = messages.length > keep ? messages.slice(-keep) : messages;
  const chunks: TranscriptChunk[] = [];
  let text = options.heading ?? '';
  let ids: string[] = messages.length > keep ? messages.slice(0, -keep).map((m) => m.id) : [];
  if (messages.length > keep) text += `${text ? '\n' : ''}${words.t('transcript.earlier_not_shown', { count: messages.length - keep })}`;
  const headerOf = (m: TranscriptMessage) => {
    const marks = [
      ...(m.isInternalNote ? [words.t('transcript.internal_note')] : []),
      ...(m.via ? [words.t('transcript.via', { channel: escapeMrkdwn(m.via) })] : []),
    ];
    return `${ICON[m.authorKind]} *${escapeMrkdwn(m.authorName)}*${marks.map((mark) => ` ${mark}`).join('')} · ${slackDate(m.createdAt, '{time}')}\n`;
  };
  let lastAuthor = '';
  for (const m of shown) {
    const author = `${m.authorKind}:${m.authorName}:${m.via ?? ''}`;
    const body = messageLines(m, maxText, words);
    const piece = `${author === lastAuthor ? '' : headerOf(m)}${body}`;
    if (text && text.length + piece.length + 1 > CHUNK_LIMIT) {
      chunks.push({ text, messageIds: ids });
      text = `${headerOf(m)}${body}`;
      ids = [m.id];
    } else {
      text += `${text ? '\n' : ''}${piece}`;
      ids.push(m.id);
    }
    lastAuthor = author;
  }
  if (ids.length > 0 || text) chunks.push({ text, messageIds: ids });
  return chunks;
}
