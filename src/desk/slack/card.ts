import type { AgentText } from '../../agent-text/agent-text.ts';
import type { MessageKey } from '../../agent-text/catalog.ts';
import { z } from 'zod';
import { type ChurnScore, churnScore, explainChurn } from '../../crm/churn.ts';
import { listSuggestions } from '../../crm/suggestions.ts';
import type { Database } from '../../db/database.ts';
import { conversationRef } from '../desk.ts';
import { escapeMrkdwn, slackDate, truncate } from './mrkdwn.ts';
import { OPEN_TICKET_STATUSES } from '../../routing/ticket-statuses.ts';

/** What the hand-off told the desk, kept with the thread. */
export const HandoffInfoSchema = z.object({
  team: z.string().nullable().default(null),
  priority: z.string().default('normal'),
  note: z.string().optional(),
  collected: z.record(z.string(), z.string()).default({}),
});
export type HandoffInfo = z.output<typeof HandoffInfoSchema>;

/**
 * A card's message metadata (https://docs.slack.dev/messaging/message-metadata): its
 * conversation, read back from Slack when an agent answers a card Parley has not recorded.
 */
const CARD_EVENT_TYPE = 'parley_conversation';
export const cardMetadata = (conversationId: string) => ({ event_type: CARD_EVENT_TYPE, event_payload: { conversation_id: conversationId } });
export const CardMetadataSchema = z.object({ event_type: z.literal(CARD_EVENT_TYPE), event_payload: z.object({ conversation_id: z.string() }) });

export interface CardData {
  readonly conversation: {
    readonly id: string;
    readonly ref: string | null;
    readonly channel: string;
    readonly status: string;
    readonly priority: string;
    readonly createdAt: Date;
    readonly lastMessageAt: Date;
    readonly firstResponseAt: Date | null;
    readonly resolvedAt: Date | null;
    readonly team: string | null;
    readonly assignee: { readonly name: string; readonly slackUserId: string | null } | null;
    readonly snoozedUntil: Date | null;
  };
  readonly customer: {
    readonly name: string | null;
    readonly locale: string | null;
    readonly isKey: boolean;
    readonly tags: readonly string[];
    readonly identities: readonly { readonly channel: string; readonly address: string }[];
    readonly pastConversations: number;
    readonly openTickets: number;
    readonly lastCsat: number | null;
    readonly lastNps: number | null;
    readonly keyReason?: string | null;
    /** The churn score with what made it (src/crm/churn.ts). */
    readonly churn?: ChurnScore;
  };
  /** Other records that look like this customer, for the agent to merge or not. */
  readonly mergeSuggestions?: readonly { readonly id: string; readonly otherName: string | null; readonly matchedBy: string; readonly value: string }[];
  readonly handoff: HandoffInfo;
  /** The hand-off summary AI assist (or its fallback) stored: what the customer wants, mood. */
  readonly summary?: { readonly wants: string; readonly mood: string; readonly lines: readonly string[]; readonly source: string };
  /** Slack link to the thread of the conversation this one continues. */
  readonly previousThread?: string;
}

/** Reads everything the card shows, in a handful of queries. */
export async function loadCardData(db: Database, conversationId: string, handoff: HandoffInfo): Promise<Omit<CardData, 'previousThread'>> {
  const conversation = await db.prisma.conversation.findUniqueOrThrow({
    where: { id: conversationId },
    include: { team: true, assignee: true, customer: { include: { identities: { orderBy: { createdAt: 'asc' } } } } },
  });
  const { customer } = conversation;
  const [pastConversations, openTickets, csat, nps, snooze, summaryRow] = await Promise.all([
    db.prisma.conversation.count({ where: { customerId: customer.id, id: { not: conversation.id } } }),
    db.prisma.ticket.count({ where: { customerId: customer.id, status: { in: [...OPEN_TICKET_STATUSES] } } }),
    db.prisma.surveyResponse.findFirst({ where: { customerId: customer.id, kind: 'csat' }, orderBy: { createdAt: 'desc' } }),
    db.prisma.surveyResponse.findFirst({ where: { customerId: customer.id, kind: 'nps' }, orderBy: { createdAt: 'desc' } }),
    db.prisma.conversationSnooze.findUnique({ where: { conversationId } }),
    db.prisma.handoffSummary.findFirst({ where: { conversationId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
  ]);
  const summary = SummaryOnCardSchema.safeParse(summaryRow?.summary);
  const churn = await churnScore(db, customer.id);
  const suggestions = await listSuggestions(db, { status: 'pending', customerId: customer.id, limit: 5 });
  const others = await db.prisma.customer.findMany({
    where: { id: { in: suggestions.map((x) => (x.customerId === customer.id ? x.otherId : x.customerId)) } },
    select: { id: true, name: true },
  });
  return {
    conversation: {
      id: conversation.id,
      ref: conversation.ref,
      channel: conversation.channel,
      status: conversation.status,
      priority: conversation.priority,
      createdAt: conversation.createdAt,
      lastMessageAt: conversation.lastMessageAt,
      firstResponseAt: conversation.firstResponseAt,
      resolvedAt: conversation.resolvedAt,
      team: conversation.team?.name ?? handoff.team,
      assignee: conversation.assignee ? { name: conversation.assignee.name, slackUserId: conversation.assignee.slackUserId } : null,
      snoozedUntil: snooze?.until ?? null,
    },
    customer: {
      name: customer.name,
      locale: customer.locale,
      isKey: customer.isKey,
      tags: Array.isArray(customer.tags) ? customer.tags.map(String) : [],
      identities: customer.identities.map((i) => ({ channel: i.channel, address: i.address })),
      pastConversations,
      openTickets,
      lastCsat: csat?.score ?? null,
      lastNps: nps?.score ?? null,
      keyReason: customer.isKey ? customer.keyReason : null,
      ...(churn ? { churn } : {}),
    },
    mergeSuggestions: suggestions.map((x) => ({
      id: x.id,
      otherName: others.find((o) => o.id === (x.customerId === customer.id ? x.otherId : x.customerId))?.name ?? null,
      matchedBy: x.matchedBy,
      value: x.value,
    })),
    handoff,
    ...(summary.success ? { summary: summary.data } : {}),
  };
}

const SummaryOnCardSchema = z.object({ wants: z.string(), mood: z.string(), lines: z.array(z.string()).default([]), source: z.string().default('fallback') });
const MOODS = ['negative', 'neutral', 'positive'];
const STATUSES = ['bot', 'waiting_for_agent', 'assigned', 'waiting_for_customer', 'resolved'];
const PRIORITIES = ['low', 'normal', 'high', 'urgent'];
export const statusLabel = (text: AgentText, status: string) => (STATUSES.includes(status) ? text.t(`card.status.${status}` as MessageKey) : status);
const priorityLabel = (text: AgentText, priority: string) => (PRIORITIES.includes(priority) ? text.t(`card.priority.${priority}` as MessageKey) : priority);
const moodLabel = (text: AgentText, mood: string) => (MOODS.includes(mood) ? text.t(`card.mood.${mood}` as MessageKey) : escapeMrkdwn(mood));

export const ACTION = {
  claim: 'parley:claim',
  assign: 'parley:assign',
  resolve: 'parley:resolve',
  snooze: 'parley:snooze',
  transfer: 'parley:transfer',
  survey: 'parley:survey',
  handBack: 'parley:hand_back',
  suggest: 'parley:suggest',
  sendSuggestion: 'parley:send_suggestion',
  mergeAccept: 'parley:merge_accept',
  mergeReject: 'parley:merge_reject',
} as const;

/** The card's snooze menu: each choice's label (in the agent text catalog) and length. */
export const SNOOZE_CHOICES: Record<string, { label: MessageKey; ms: number }> = {
  '1h': { label: 'card.snooze.1h', ms: 3_600_000 },
  '4h': { label: 'card.snooze.4h', ms: 4 * 3_600_000 },
  '1d': { label: 'card.snooze.1d', ms: 86_400_000 },
  '1w': { label: 'card.snooze.1w', ms: 7 * 86_400_000 },
};

const plain = (text: string) => ({ type: 'plain_text' as const, text: truncate(text, 75), emoji: true });
const option = (text: string, value: string) => ({ text: plain(text), value });

/** The card's fallback text (notifications, screen readers). */
export function cardText(card: CardData, text: AgentText): string {
  const who = card.customer.name ?? card.customer.identities[0]?.address ?? text.t('card.a_customer');
  const line = text.t('card.text', { who: escapeMrkdwn(who), channel: card.conversation.channel, status: statusLabel(text, card.conversation.status) });
  return `${card.customer.isKey ? '★ ' : ''}${line}`;
}

/** The customer card: who, what the bot learned, where the conversation stands, and the buttons. */
export function cardBlocks(card: CardData, teams: readonly string[], text: AgentText): unknown[] {
  const { conversation: c, customer, handoff } = card;
  const label = (key: string) => `*${text.t(`card.label.${key}` as MessageKey)}:*`;
  const n = (value: number | string | null) => (value === null ? '—' : text.digits(String(value)));
  const name = customer.name ? escapeMrkdwn(customer.name) : text.t('card.no_name');
  const header = `${customer.isKey ? `${text.t('card.key_customer')} · ` : ''}${text.t('card.header', { name, channel: escapeMrkdwn(c.channel), priority: priorityLabel(text, c.priority) })}`;
  const facts = [
    `${label('identities')} ${customer.identities.map((i) => `${escapeMrkdwn(i.channel)} \`${escapeMrkdwn(i.address)}\``).join(', ') || '—'}`,
    `${label('locale')} ${escapeMrkdwn(customer.locale ?? '—')}   ${label('tags')} ${customer.tags.length ? customer.tags.map(escapeMrkdwn).join(', ') : '—'}`,
    `${label('past_conversations')} ${n(customer.pastConversations)}   ${label('open_tickets')} ${n(customer.openTickets)}   ${label('last_csat')} ${n(customer.lastCsat)}   ${label('last_nps')} ${n(customer.lastNps)}`,
    ...(customer.churn ? [`${label('churn_risk')} ${escapeMrkdwn(explainChurn(customer.churn, text))}`] : []),
    ...(customer.keyReason ? [`${label('key_because')} ${escapeMrkdwn(customer.keyReason)}`] : []),
  ];
  const collected = Object.entries(handoff.collected);
  const minutes = (from: Date, to: Date) => text.t('card.minutes', { minutes: Math.max(0, Math.round((to.getTime() - from.getTime()) / 60_000)) });
  const status = [
    `${label('status')} ${statusLabel(text, c.status)}`,
    `${label('assignee')} ${c.assignee ? (c.assignee.slackUserId ? `<@${c.assignee.slackUserId}>` : escapeMrkdwn(c.assignee.name)) : text.t('card.nobody_yet')}`,
    c.team ? `${label('team')} ${escapeMrkdwn(c.team)}` : undefined,
    c.status === 'resolved' && c.resolvedAt ? `${label('resolved')} ${slackDate(c.resolvedAt)}` : `${label('waiting_since')} ${slackDate(c.lastMessageAt)}`,
    c.firstResponseAt ? `${label('first_response')} ${minutes(c.createdAt, c.firstResponseAt)}` : undefined,
    c.snoozedUntil ? `${label('snoozed_until')} ${slackDate(c.snoozedUntil)}` : undefined,
  ].filter(Boolean);
  const blocks: unknown[] = [
    { type: 'section', text: { type: 'mrkdwn', text: header } },
    { type: 'section', text: { type: 'mrkdwn', text: facts.join('\n') } },
  ];
  if (card.summary) {
    const s = card.summary;
    const lines = [
      `${label('wants')} ${escapeMrkdwn(truncate(s.wants, 300))}   ${label('mood')} ${moodLabel(text, s.mood)}`,
      ...s.lines.map((l) => `• ${escapeMrkdwn(truncate(l, 300))}`),
    ];
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `*${text.t('card.summary')}*${s.source === 'model' ? ` ${text.t('card.ai')}` : ''}\n${lines.join('\n')}` },
    });
  }
  if (collected.length > 0 || handoff.note) {
    const lines = collected.map(([k, v]) => `*${escapeMrkdwn(k)}:* ${escapeMrkdwn(truncate(v, 500))}`);
    if (handoff.note) lines.push(`${label('note')} ${escapeMrkdwn(truncate(handoff.note, 500))}`);
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*${text.t('card.learned')}*\n${lines.join('\n')}` } });
  }
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: status.join('   ') } });
  for (const m of card.mergeSuggestions ?? []) {
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: text.t('card.merge_same', {
          matched: escapeMrkdwn(m.matchedBy),
          value: escapeMrkdwn(m.value),
          other: escapeMrkdwn(m.otherName ?? text.t('card.another_customer')),
        }),
      },
    });
    blocks.push({
      type: 'actions',
      block_id: `parley_merge_${m.id}`,
      elements: [
        { type: 'button', action_id: ACTION.mergeAccept, text: plain(text.t('card.button.merge')), style: 'primary', value: m.id },
        { type: 'button', action_id: ACTION.mergeReject, text: plain(text.t('card.button.not_same')), value: m.id },
      ],
    });
  }
  if (card.previousThread) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: text.t('card.continues', { link: card.previousThread }) }] });
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: text.t('card.footer', { ref: conversationRef(c) }),
      },
    ],
  });
  const value = c.id;
  if (c.status !== 'resolved') {
    blocks.push({
      type: 'actions',
      block_id: 'parley_actions',
      elements: [
        ...(c.assignee ? [] : [{ type: 'button', action_id: ACTION.claim, text: plain(text.t('card.button.claim')), style: 'primary', value }]),
        { type: 'users_select', action_id: ACTION.assign, placeholder: plain(text.t('card.button.assign')) },
        { type: 'button', action_id: ACTION.resolve, text: plain(text.t('card.button.resolve')), value },
        {
          type: 'static_select',
          action_id: ACTION.snooze,
          placeholder: plain(text.t('card.button.snooze')),
          options: Object.entries(SNOOZE_CHOICES).map(([k, v]) => option(text.t(v.label), k)),
        },
        ...(teams.length > 0
          ? [
              {
                type: 'static_select',
                action_id: ACTION.transfer,
                placeholder: plain(text.t('card.button.transfer')),
                options: teams.slice(0, 100).map((t) => option(t, t)),
              },
            ]
          : []),
        { type: 'button', action_id: ACTION.survey, text: plain(text.t('card.button.survey')), value },
        { type: 'button', action_id: ACTION.suggest, text: plain(text.t('card.button.suggest')), value },
        { type: 'button', action_id: ACTION.handBack, text: plain(text.t('card.button.hand_back')), value },
      ],
    });
  } else {
    blocks.push({
      type: 'actions',
      block_id: 'parley_actions',
      elements: [{ type: 'button', action_id: ACTION.survey, text: plain(text.t('card.button.survey')), value }],
    });
  }
  return blocks;
}
