import { z } from 'zod';
import { parseDuration } from '../core/duration.ts';
import { foldForMatch } from '../core/text.ts';
import { conversationLaneKey } from '../pipeline/inbox.ts';
import type { JobDraft } from '../pipeline/jobs.ts';
import type { Classification } from './intent.ts';
import type { Flow, Trigger } from './schema.ts';

/** Exported so that schedulers elsewhere (lifecycle win-back) share the engine's dedup keys. */
export const START_JOB = 'flow.start';
export const StartJobSchema = z.object({
  flowId: z.string(),
  conversationId: z.string(),
  by: z.string(),
  /** Survey starts: the ticket whose closing asked, or the queued survey being sent. */
  ticketId: z.string().optional(),
  dispatchId: z.string().optional(),
  /** Campaign starts: the recipient whose first message this start sends. */
  campaignRecipientId: z.string().optional(),
  /** Campaign starts: the template purpose of its messages outside a channel's window. */
  purpose: z.string().optional(),
});
export type StartJob = z.infer<typeof StartJobSchema>;

/** The flows that have a trigger of that kind, each with that trigger. */
export function flowsFor(flows: readonly Flow[], match: (trigger: Trigger) => boolean): { flow: Flow; trigger: Trigger }[] {
  return flows.flatMap((flow) => flow.triggers.filter(match).map((trigger) => ({ flow, trigger })));
}

/** What trigger selection reads of an inbound message. */
export interface TriggeringMessage {
  readonly text: string | undefined;
  /** The first message of a new conversation. */
  readonly isNewConversation: boolean;
}

/**
 * Which flow a message with no running session starts, in this order: the first flow (in
 * registry order) with a keyword or pattern in the text, a flow with the message's intent
 * (classified only when some flow has an intent trigger), on a new conversation the
 * first-message flow, else the default flow.
 */
export async function pickFlow(
  flows: readonly Flow[],
  message: TriggeringMessage,
  classify: (text: string) => Promise<Classification>,
): Promise<Flow | undefined> {
  const text = message.text ?? '';
  const folded = ` ${keywordForm(text)} `;
  for (const flow of flows) {
    for (const trigger of textTriggers(flow)) {
      if ('keywords' in trigger && text && trigger.keywords.some((w) => folded.includes(w))) return flow;
      if ('pattern' in trigger && text && trigger.pattern.test(text)) return flow;
    }
  }
  const byIntent = flows.filter((f) => f.triggers.some((t) => 'intent' in t));
  if (byIntent.length > 0 && text) {
    const { intent } = await classify(text);
    const hit = byIntent.find((f) => f.triggers.some((t) => 'intent' in t && t.intent === intent));
    if (hit) return hit;
  }
  if (message.isNewConversation) {
    const first = flows.find((f) => f.triggers.some((t) => 'first_message' in t));
    if (first) return first;
  }
  return flows.find((f) => f.triggers.some((t) => 'default' in t));
}

/** The start jobs a domain event's triggers make for a conversation, each after its trigger's delay. */
export function eventStartJobs(
  flows: readonly Flow[],
  event: 'conversation.resolved' | 'ticket.closed',
  conversation: { id: string; channel: string; identity: { address: string } },
  ticketId: string | undefined,
  now: Date,
): JobDraft[] {
  return flowsFor(flows, (t) => 'event' in t && t.event === event).map(({ flow, trigger }) => ({
    kind: START_JOB,
    laneKey: conversationLaneKey(conversation),
    payload: { flowId: flow.id, conversationId: conversation.id, by: `event:${event}`, ticketId },
    runAt: new Date(now.getTime() + ('delay' in trigger && trigger.delay ? parseDuration(trigger.delay) : 0)),
  }));
}

/** The start jobs of surveys that waited while a person held the conversation, sent once it is resolved. */
export function queuedSurveyStartJobs(
  queued: readonly { id: string; flowId: string }[],
  conversation: { id: string; channel: string; identity: { address: string } },
  now: Date,
): JobDraft[] {
  return queued.map((survey) => ({
    kind: START_JOB,
    laneKey: conversationLaneKey(conversation),
    payload: { flowId: survey.flowId, conversationId: conversation.id, by: 'event:queued_survey', dispatchId: survey.id },
    runAt: now,
  }));
}

/** Text as keywords match it: folded, with punctuation and symbols as word breaks ("order?", "سفارش،"). */
const keywordForm = (text: string) =>
  foldForMatch(text)
    .replace(/[\p{P}\p{S}]+/gu, ' ')
    .replace(/ +/g, ' ')
    .trim();

// Keyword and pattern triggers prepared once per flow version, not on every message.
type TextTrigger = { keywords: string[] } | { pattern: RegExp };
const preparedTriggers = new WeakMap<Flow, TextTrigger[]>();
function textTriggers(flow: Flow): TextTrigger[] {
  let prepared = preparedTriggers.get(flow);
  if (!prepared) {
    prepared = flow.triggers.flatMap((t): TextTrigger[] => {
      if ('keyword' in t) return [{ keywords: (Array.isArray(t.keyword) ? t.keyword : Object.values(t.keyword).flat()).map((w) => ` ${keywordForm(w)} `) }];
      if ('pattern' in t) return [{ pattern: new RegExp(t.pattern, 'iu') }];
      return [];
    });
    preparedTriggers.set(flow, prepared);
  }
  return prepared;
}
