import { detectLocale } from '../core/locale.ts';
import type { Database } from '../db/database.ts';

export interface ConversationView {
  readonly id: string;
  readonly channel: string;
  /** The customer's language: their record's, else told from their messages, else undefined. */
  readonly customerLocale: string | undefined;
  /** Oldest first; internal notes are left out. */
  readonly messages: readonly { readonly author: 'customer' | 'bot' | 'agent' | 'system'; readonly text: string }[];
}

const MAX_MESSAGES = 20;
const MAX_MESSAGE_CHARS = 1000;

/** The conversation's last messages, as AI prompts and fallbacks read them (one query each). */
export async function loadConversation(db: Database, conversationId: string): Promise<ConversationView | undefined> {
  const conversation = await db.prisma.conversation.findUnique({ where: { id: conversationId }, include: { customer: { select: { locale: true } } } });
  if (!conversation) return undefined;
  const rows = await db.prisma.message.findMany({
    where: { conversationId, isInternalNote: false, text: { not: null } },
    orderBy: { id: 'desc' },
    take: MAX_MESSAGES,
    select: { authorKind: true, text: true },
  });
  const messages = rows.reverse().map((m) => ({ author: m.authorKind, text: (m.text ?? '').slice(0, MAX_MESSAGE_CHARS) }));
  const lastCustomerText = messages.filter((m) => m.author === 'customer').at(-1)?.text;
  return { id: conversation.id, channel: conversation.channel, customerLocale: conversation.customer.locale ?? detectLocale(lastCustomerText), messages };
}

const AUTHOR_LABEL = { customer: 'Customer', bot: 'Bot', agent: 'Agent', system: 'System' } as const;

export function transcriptText(view: ConversationView): string {
  return view.messages.map((m) => `${AUTHOR_LABEL[m.author]}: ${m.text}`).join('\n');
}

export function collectedText(collected: Readonly<Record<string, string>>): string {
  const entries = Object.entries(collected);
  return entries.length === 0 ? '(nothing)' : entries.map(([name, value]) => `${name}: ${value}`).join('\n');
}
