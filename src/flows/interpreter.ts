import { randomInt } from 'node:crypto';
import type { ChannelCapabilities } from '../core/channel.ts';
import { parseDuration } from '../core/duration.ts';
import { newId } from '../core/ids.ts';
import type { OutboundContent } from '../core/message.ts';
import { type Answer, type AnswerInput, choiceForIntent, parseAnswer, parseYesNo } from './answers.ts';
import { evaluate } from './conditions.ts';
import type { IntentClassifier } from './intent.ts';
import { renderAsk, renderSay } from './render.ts';
import type { Ask, Flow, LocalizedText, Step, StepOf } from './schema.ts';
import { fillTemplate, localize, say } from './text.ts';

export type Priority = 'low' | 'normal' | 'high' | 'urgent';

/** A customer's place in a flow; stored after every turn. */
export interface SessionState {
  readonly id: string;
  readonly flowId: string;
  readonly flowVersion: string;
  stepId: string;
  status: 'active' | 'completed' | 'abandoned';
  variables: Record<string, unknown>;
  retries: number;
  waiting: 'ask' | 'wait' | null;
  /** Bumped on every move: a timer carries the value it was set at and is stale once it differs. */
  seq: number;
  reminded: boolean;
  startedBy: string;
}

export type StepEventKind = 'entered' | 'answered' | 'invalid' | 'timed_out' | 'dropped' | 'completed';

export type Effect =
  | { readonly type: 'attributes'; readonly values: Record<string, unknown> }
  | { readonly type: 'name'; readonly name: string }
  | { readonly type: 'locale'; readonly locale: string }
  | { readonly type: 'tags'; readonly add: string[]; readonly remove: string[] }
  | {
      readonly type: 'ticket';
      readonly id: string;
      readonly ref: string;
      readonly kind: 'complaint' | 'request' | 'question';
      readonly category: string | null;
      readonly subject: string;
      readonly priority: Priority;
      readonly fields: Record<string, string>;
    }
  | { readonly type: 'survey'; readonly kind: 'csat' | 'nps'; readonly score: number; readonly comment: string | null }
  | {
      readonly type: 'handoff';
      readonly team: string | undefined;
      readonly priority: Priority | undefined;
      readonly note: string;
      readonly collected: Record<string, string>;
    }
  | { readonly type: 'start_flow'; readonly flowId: string }
  | { readonly type: 'timer'; readonly kind: 'timeout' | 'wait'; readonly runAt: Date; readonly seq: number };

export interface StepEvent {
  readonly flowId: string;
  readonly flowVersion: string;
  readonly stepId: string;
  readonly kind: StepEventKind;
}

export interface RunResult {
  readonly state: SessionState;
  readonly messages: OutboundContent[];
  readonly effects: Effect[];
  readonly stats: StepEvent[];
}

export interface RunContext {
  readonly customer: { readonly name: string | null; readonly attributes: Readonly<Record<string, unknown>>; readonly tags: readonly string[] };
  readonly isNewCustomer: boolean;
  readonly channel: string;
  locale: string;
  readonly capabilities: ChannelCapabilities | undefined;
  readonly now: Date;
  readonly defaultRegion: string | undefined;
  readonly classifier: IntentClassifier;
  /** The text of the customer's last message, for classify steps. */
  readonly lastText: string | undefined;
  readonly fetch: typeof fetch;
}

export type RunInput =
  | { readonly kind: 'start' }
  | { readonly kind: 'message'; readonly input: AnswerInput }
  | { readonly kind: 'timer'; readonly timer: 'timeout' | 'wait'; readonly seq: number };

const DEFAULT_ERROR: Record<string, string> = {
  en: "Sorry, I didn't understand that.",
  fa: 'ببخشید، متوجه نشدم.',
  ar: 'عذرًا، لم أفهم ذلك.',
};
const DEFAULT_REMINDER: Record<string, string> = {
  en: 'Just a reminder: we are still waiting for your answer.',
  fa: 'یادآوری: هنوز منتظر پاسخ شما هستیم.',
  ar: 'تذكير: ما زلنا بانتظار إجابتك.',
};
const DEFAULT_HANDOFF: Record<string, string> = {
  en: "I'm passing your conversation to a colleague from our team, who will answer you here.",
  fa: 'گفت‌وگوی شما را به یکی از همکارانمان می‌سپارم؛ همین‌جا به شما پاسخ می‌دهند.',
  ar: 'سأحوّل محادثتك إلى أحد زملائنا في الفريق، وسيرد عليك هنا.',
};
const DEFAULT_GIVE_UP: Record<string, string> = {
  en: "Let's leave it there for now. Write to us any time if you need anything.",
  fa: 'فعلاً همین‌جا تمامش می‌کنیم. هر وقت کاری داشتید به ما پیام بدهید.',
  ar: 'لنتوقف هنا الآن. راسلنا في أي وقت إذا احتجت إلى أي شيء.',
};
const DEFAULT_NAME_CONFIRM: Record<string, string> = {
  en: 'Shall we call you {{name}}?',
  fa: 'شما را {{name}} صدا کنیم؟',
  ar: 'هل نناديك {{name}}؟',
};
const YES_NO_ASK: Ask = { type: 'yes_no', text: '' };
/** Set when the customer said no to the name their channel gave: the name ask then asks the question itself. */
const nameDeclined = (stepId: string) => `${stepId}__name_declined`;
const SKIP_HINT: Record<string, string> = { en: '(or "skip")', fa: '(یا «ندارم»)', ar: '(أو «لا يوجد»)' };

const MAX_STEPS_PER_RUN = 200;

/** Crockford base32 without look-alikes: references customers can read out on the phone. */
const REF_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ';
const REF_PREFIX = { complaint: 'CMP', request: 'REQ', question: 'QST' } as const;
export const newTicketRef = (kind: keyof typeof REF_PREFIX): string =>
  `${REF_PREFIX[kind]}-${Array.from({ length: 6 }, () => REF_ALPHABET[randomInt(REF_ALPHABET.length)]).join('')}`;

// A flow's steps by id, made once per flow version rather than on every run.
const stepIndexes = new WeakMap<Flow, ReadonlyMap<string, { step: Step; index: number }>>();
function stepIndex(flow: Flow): ReadonlyMap<string, { step: Step; index: number }> {
  let index = stepIndexes.get(flow);
  if (!index) {
    index = new Map(flow.steps.map((step, i) => [step.id, { step, index: i }]));
    stepIndexes.set(flow, index);
  }
  return index;
}

export function newSession(flow: Flow, startedBy: string, variables: Record<string, unknown> = {}): SessionState {
  return {
    id: newId(),
    flowId: flow.id,
    flowVersion: flow.version,
    stepId: (flow.steps[0] as Step).id,
    status: 'active',
    variables,
    retries: 0,
    waiting: null,
    seq: 0,
    reminded: false,
    startedBy,
  };
}

/**
 * Runs a flow from where the session is until it waits for the customer, waits for time,
 * hands off or ends. Pure except for webhook calls and the intent classifier: everything it
 * decides comes back as messages, effects and stats for the caller to commit in one go.
 */
export async function runFlow(flow: Flow, state: SessionState, input: RunInput, ctx: RunContext): Promise<RunResult> {
  const out: RunResult = { state: { ...state, variables: { ...state.variables } }, messages: [], effects: [], stats: [] };
  const s = out.state;
  // What this run learns about the customer is visible to its own later steps.
  const customer = { name: ctx.customer.name, attributes: { ...ctx.customer.attributes }, tags: [...ctx.customer.tags] };
  const effect = (e: Effect) => {
    out.effects.push(e);
    if (e.type === 'attributes') Object.assign(customer.attributes, e.values);
    if (e.type === 'name') customer.name = e.name;
    if (e.type === 'tags') customer.tags = [...new Set([...customer.tags, ...e.add])].filter((t) => !e.remove.includes(t));
  };
  const steps = stepIndex(flow);
  const stat = (stepId: string, kind: StepEventKind) => out.stats.push({ flowId: flow.id, flowVersion: flow.version, stepId, kind });
  const view = () => ({
    ...s.variables,
    customer: { ...customer.attributes, name: customer.name ?? '', tags: customer.tags },
    channel: ctx.channel,
    locale: ctx.locale,
    flow: { id: flow.id, name: flow.name },
  });
  const text = (t: LocalizedText) => say(t, ctx.locale, view());
  const speak = (t: LocalizedText) => out.messages.push(...renderSay(text(t), ctx.capabilities));
  const current = () => steps.get(s.stepId)?.step;

  const finish = (status: 'completed' | 'abandoned') => {
    s.status = status;
    s.waiting = null;
    s.seq++;
    stat(s.stepId, status === 'completed' ? 'completed' : 'dropped');
  };
  const handOff = (team: string | undefined, priority: Priority | undefined, note: string) => {
    const collected = Object.fromEntries(
      Object.entries(s.variables)
        .filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object')
        .map(([k, v]) => [k, String(v)]),
    );
    out.effects.push({ type: 'handoff', team: team ?? flow.settings.team, priority, note, collected });
    finish('completed');
  };
  /** Moves to a target; false when the flow is over. */
  const goTo = (target: string | undefined, from: Step): boolean => {
    if (target === 'end') {
      finish('completed');
      return false;
    }
    if (target === 'handoff') {
      speak(flow.settings.handoff_say ?? DEFAULT_HANDOFF);
      handOff(undefined, undefined, `Flow "${flow.name}" handed over at step "${from.id}".`);
      return false;
    }
    const next = target
      ? steps.get(target)
      : flow.steps[(steps.get(from.id)?.index ?? -1) + 1]
        ? { step: flow.steps[(steps.get(from.id)?.index as number) + 1] as Step }
        : undefined;
    if (!next) {
      finish('completed');
      return false;
    }
    s.stepId = next.step.id;
    s.retries = 0;
    s.reminded = false;
    s.waiting = null;
    return true;
  };
  /** A name ask confirms the name the channel gave, unless the customer said it is not theirs. */
  const confirmsName = (step: StepOf<'ask'>) => step.ask.type === 'name' && !!customer.name && s.variables[nameDeclined(step.id)] !== true;
  const askNow = (step: StepOf<'ask'>, prefix?: string) => {
    const confirming = confirmsName(step);
    let body = confirming
      ? fillTemplate(localize(step.ask.confirm ?? DEFAULT_NAME_CONFIRM, ctx.locale), { ...view(), name: customer.name })
      : text(step.ask.text);
    if (step.ask.optional) body = `${body} ${SKIP_HINT[ctx.locale] ?? SKIP_HINT.en}`;
    if (prefix) body = `${prefix}\n${body}`;
    out.messages.push(...renderAsk(body, confirming ? YES_NO_ASK : step.ask, step.id, ctx.locale, ctx.capabilities));
    s.waiting = 'ask';
    s.seq++;
    out.effects.push({
      type: 'timer',
      kind: 'timeout',
      runAt: new Date(ctx.now.getTime() + parseDuration(step.ask.remind_after ?? flow.settings.remind_after)),
      seq: s.seq,
    });
  };
  const priorityOf = (rule: Priority | { from: string; map: Record<string, Priority>; default: Priority } | undefined): Priority | undefined => {
    if (!rule || typeof rule === 'string') return rule;
    return rule.map[String(s.variables[rule.from] ?? '')] ?? rule.default;
  };

  // Resume: the input answers an ask, ends a wait, or is a timer.
  let step = current();
  if (!step) {
    finish('abandoned');
    return out;
  }
  let proceed = true;
  if (input.kind === 'timer') {
    const expected = input.timer === 'timeout' ? 'ask' : 'wait';
    if (input.seq !== s.seq || s.status !== 'active' || s.waiting !== expected) return { ...out, state };
    if (input.timer === 'wait') proceed = goTo(step.next, step);
    else if (step.type === 'ask' && !s.reminded) {
      s.reminded = true;
      const reminder = localize(step.ask.reminder ?? flow.settings.reminder ?? DEFAULT_REMINDER, ctx.locale);
      askNow(step, fillTemplate(reminder, view()));
      out.effects.pop();
      out.effects.push({ type: 'timer', kind: 'timeout', runAt: new Date(ctx.now.getTime() + parseDuration(flow.settings.give_up_after)), seq: s.seq });
      return out;
    } else {
      stat(step.id, 'timed_out');
      if (flow.settings.on_timeout === 'handoff') {
        speak(flow.settings.handoff_say ?? DEFAULT_HANDOFF);
        handOff(undefined, undefined, `The customer did not answer "${step.id}" in time.`);
      } else finish('abandoned');
      return out;
    }
  } else if (input.kind === 'message' && s.waiting === 'wait') {
    // A customer who writes during a wait need not wait for the timer.
    proceed = goTo(step.next, step);
  } else if (input.kind === 'message' && s.waiting === 'ask' && step.type === 'ask') {
    const confirming = confirmsName(step);
    const confirmed = confirming ? readYesNo(step.id, input.input) : undefined;
    if (confirmed === false) {
      s.variables[nameDeclined(step.id)] = true;
      askNow(step);
      return out;
    }
    const answer: Answer =
      confirmed === true
        ? { ok: true, value: customer.name as string, display: customer.name as string }
        : await understand(step.ask, step.id, input.input, ctx);
    if (answer.ok) {
      stat(step.id, 'answered');
      saveAnswer(step.ask, answer.value, answer.display, input.input, s, effect);
      proceed = goTo(step.next, step);
    } else {
      stat(step.id, 'invalid');
      s.retries++;
      const limit = step.ask.retries ?? flow.settings.retries;
      if (s.retries <= limit) {
        askNow(step, text(step.ask.error ?? flow.settings.error ?? DEFAULT_ERROR));
        return out;
      }
      const fallback = step.ask.fallback ?? flow.settings.fallback;
      if (fallback === 'end') speak(flow.settings.give_up_say ?? DEFAULT_GIVE_UP);
      proceed = goTo(fallback, step);
    }
  }

  for (let count = 0; proceed && s.status === 'active'; count++) {
    step = current();
    if (!step) {
      finish('completed');
      break;
    }
    if (count >= MAX_STEPS_PER_RUN) {
      handOff(undefined, undefined, `Flow "${flow.name}" ran ${MAX_STEPS_PER_RUN} steps without pausing at "${step.id}"; check it for a loop.`);
      break;
    }
    stat(step.id, 'entered');
    switch (step.type) {
      case 'say':
        speak(step.say);
        proceed = goTo(step.next, step);
        break;
      case 'ask':
        askNow(step);
        proceed = false;
        break;
      case 'branch': {
        const conditionContext = {
          variables: s.variables,
          attributes: customer.attributes,
          tags: customer.tags,
          channel: ctx.channel,
          locale: ctx.locale,
          isNewCustomer: ctx.isNewCustomer,
          now: ctx.now,
        };
        const match = step.branch.cases.find((c) => evaluate(c.when, conditionContext));
        proceed = goTo(match?.goto ?? step.branch.else ?? step.next, step);
        break;
      }
      case 'set': {
        for (const [name, template] of Object.entries(step.set.variables ?? {})) s.variables[name] = fillTemplate(template, view());
        const attributes = Object.fromEntries(Object.entries(step.set.attributes ?? {}).map(([k, v]) => [k, fillTemplate(v, view())]));
        if (Object.keys(attributes).length > 0) effect({ type: 'attributes', values: attributes });
        if (step.set.locale) {
          ctx.locale = fillTemplate(step.set.locale, view());
          out.effects.push({ type: 'locale', locale: ctx.locale });
        }
        proceed = goTo(step.next, step);
        break;
      }
      case 'tag':
        effect({ type: 'tags', add: step.tag, remove: [] });
        proceed = goTo(step.next, step);
        break;
      case 'untag':
        effect({ type: 'tags', add: [], remove: step.untag });
        proceed = goTo(step.next, step);
        break;
      case 'ticket': {
        const ref = newTicketRef(step.ticket.kind);
        s.variables[step.ticket.save] = ref;
        out.effects.push({
          type: 'ticket',
          id: newId(),
          ref,
          kind: step.ticket.kind,
          category: step.ticket.category ? fillTemplate(step.ticket.category, view()) || null : null,
          subject: text(step.ticket.subject),
          priority: priorityOf(step.ticket.priority) ?? 'normal',
          fields: Object.fromEntries(Object.entries(step.ticket.fields).map(([k, v]) => [k, fillTemplate(v, view())])),
        });
        proceed = goTo(step.next, step);
        break;
      }
      case 'survey': {
        const score = Number(s.variables[step.survey.score]);
        if (Number.isFinite(score)) {
          const comment = step.survey.comment ? s.variables[step.survey.comment] : undefined;
          out.effects.push({ type: 'survey', kind: step.survey.kind, score, comment: typeof comment === 'string' && comment ? comment : null });
        }
        proceed = goTo(step.next, step);
        break;
      }
      case 'handoff':
        if (step.handoff.say) speak(step.handoff.say);
        handOff(
          step.handoff.team,
          priorityOf(step.handoff.priority),
          step.handoff.note ? fillTemplate(step.handoff.note, view()) : `Flow "${flow.name}" handed over.`,
        );
        proceed = false;
        break;
      case 'goto':
        proceed = goTo(step.goto, step);
        break;
      case 'wait':
        s.waiting = 'wait';
        s.seq++;
        out.effects.push({ type: 'timer', kind: 'wait', runAt: new Date(ctx.now.getTime() + parseDuration(step.wait)), seq: s.seq });
        proceed = false;
        break;
      case 'webhook': {
        const ok = await callWebhook(step, s, view(), ctx.fetch);
        proceed = goTo(ok ? step.next : (step.webhook.on_error ?? step.next), step);
        break;
      }
      case 'classify': {
        const input = step.classify.input ? fillTemplate(step.classify.input, view()) : (ctx.lastText ?? '');
        const result = await ctx.classifier.classify(input, ctx.locale, { channel: ctx.channel });
        s.variables[step.classify.save] = result.intent;
        proceed = goTo(step.classify.routes[result.intent] ?? step.classify.else ?? step.next, step);
        break;
      }
      case 'start_flow':
        out.effects.push({ type: 'start_flow', flowId: step.start_flow });
        finish('completed');
        proceed = false;
        break;
      case 'end':
        if (step.end !== true && step.end.say) speak(step.end.say);
        finish('completed');
        proceed = false;
        break;
    }
  }
  return out;
}

/**
 * Reads an answer: literally (ids, numbers, labels, typos, synonyms), then, for a choice, by
 * what the customer means (the intent classifier, AI or keywords) mapped to the ask's options.
 */
async function understand(ask: Ask, stepId: string, input: AnswerInput, ctx: RunContext): Promise<Answer> {
  const timeZone = ctx.customer.attributes.timezone;
  const answer = parseAnswer(ask, stepId, input, {
    locale: ctx.locale,
    defaultRegion: ctx.defaultRegion,
    now: ctx.now,
    timeZone: typeof timeZone === 'string' ? timeZone : undefined,
  });
  if (answer.ok || ask.type !== 'choice' || !input.text?.trim()) return answer;
  const { intent } = await ctx.classifier.classify(input.text, ctx.locale, { channel: ctx.channel });
  const choice = choiceForIntent(ask, intent, ctx.locale);
  return choice ? { ok: true, value: choice.id, display: choice.label } : answer;
}

/** A yes/no reply to a confirmation rendered with the yes/no buttons of `stepId`. */
function readYesNo(stepId: string, input: AnswerInput): boolean | undefined {
  if (input.interactiveReplyId === `${stepId}:yes`) return true;
  if (input.interactiveReplyId === `${stepId}:no`) return false;
  return input.text ? parseYesNo(input.text) : undefined;
}

function saveAnswer(ask: Ask, value: unknown, display: string, input: AnswerInput, s: SessionState, effect: (e: Effect) => void): void {
  if (ask.save) {
    s.variables[ask.save] = value;
    if (ask.type === 'choice') s.variables[`${ask.save}_label`] = display;
    if (ask.accept_attachments) s.variables[`${ask.save}_attachments`] = input.attachments ?? [];
  }
  if (ask.save_attribute && value !== null) {
    if (ask.save_attribute === 'name') effect({ type: 'name', name: String(value) });
    else effect({ type: 'attributes', values: { [ask.save_attribute]: value } });
  }
}

async function callWebhook(step: StepOf<'webhook'>, s: SessionState, view: Record<string, unknown>, fetchImpl: typeof fetch): Promise<boolean> {
  const hook = step.webhook;
  try {
    const url = fillTemplate(hook.url, view);
    const body = hook.body ? JSON.stringify(Object.fromEntries(Object.entries(hook.body).map(([k, v]) => [k, fillTemplate(v, view)]))) : undefined;
    const response = await fetchImpl(url, {
      method: hook.method,
      headers: { 'content-type': 'application/json', ...Object.fromEntries(Object.entries(hook.headers).map(([k, v]) => [k, fillTemplate(v, view)])) },
      body: hook.method === 'GET' ? undefined : body,
      signal: AbortSignal.timeout(parseDuration(hook.timeout)),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const json = (await response.json().catch(() => ({}))) as unknown;
    for (const [variable, path] of Object.entries(hook.save)) {
      s.variables[variable] = path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), json);
    }
    s.variables.webhook_error = null;
    return true;
  } catch (error) {
    s.variables.webhook_error = (error as Error).message;
    return false;
  }
}
