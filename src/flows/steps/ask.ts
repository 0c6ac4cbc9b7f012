import { parseDuration } from '../../core/duration.ts';
import { type Answer, type AnswerInput, choiceForIntent, parseAnswer, parseYesNo } from '../answers.ts';
import { DEFAULT_ERROR, DEFAULT_GIVE_UP, DEFAULT_NAME_CONFIRM, DEFAULT_REMINDER, SKIP_HINT } from '../defaults.ts';
import type { Effect, RunContext } from '../interpreter.ts';
import type { FlowRun } from '../run.ts';
import type { Ask, StepOf } from '../schema.ts';
import { fillTemplate, localize } from '../text.ts';
import type { StepExecutor } from './executor.ts';

const YES_NO_ASK: Ask = { type: 'yes_no', text: '' };
/** Set when the customer said no to the name their channel gave: the name ask then asks the question itself. */
const nameDeclined = (stepId: string) => `${stepId}__name_declined`;

/** A name ask confirms the name the channel gave, unless the customer said it is not theirs. */
const confirmsName = (step: StepOf<'ask'>, run: FlowRun) =>
  step.ask.type === 'name' && !!run.customer.name && run.session.variables[nameDeclined(step.id)] !== true;

/** Asks the question (or, for a name the channel gave, whether to use it) and waits. */
function askQuestion(step: StepOf<'ask'>, run: FlowRun, prefix?: string): void {
  const { ctx } = run;
  const confirming = confirmsName(step, run);
  let body = confirming
    ? fillTemplate(localize(step.ask.confirm ?? DEFAULT_NAME_CONFIRM, ctx.locale), { ...run.view(), name: run.customer.name })
    : run.text(step.ask.text);
  if (step.ask.optional) body = `${body} ${SKIP_HINT[ctx.locale] ?? SKIP_HINT.en}`;
  if (prefix) body = `${prefix}\n${body}`;
  run.ask(step, body, confirming ? YES_NO_ASK : step.ask);
}

export const executeAsk: StepExecutor<'ask'> = (step, run) => {
  askQuestion(step, run);
  return false;
};

/**
 * The customer's message while an ask waits: saved and on to the next step when it reads as an
 * answer; otherwise the error text and the question again, up to the retries, then the
 * fallback (a customer is told when the flow gives up or hands over).
 */
export async function answerAsk(step: StepOf<'ask'>, input: AnswerInput, run: FlowRun): Promise<boolean> {
  const { flow, session } = run;
  const confirmed = confirmsName(step, run) ? readYesNo(step.id, input) : undefined;
  if (confirmed === false) {
    session.variables[nameDeclined(step.id)] = true;
    askQuestion(step, run);
    return false;
  }
  const name = run.customer.name as string;
  const answer: Answer = confirmed === true ? { ok: true, value: name, display: name } : await understand(step.ask, step.id, input, run.ctx);
  if (answer.ok) {
    run.stat(step.id, 'answered');
    saveAnswer(step.ask, answer.value, answer.display, input, session.variables, (e) => run.effect(e));
    return run.goTo(step.next, step);
  }
  run.stat(step.id, 'invalid');
  session.retries++;
  if (session.retries <= (step.ask.retries ?? flow.settings.retries)) {
    askQuestion(step, run, run.text(step.ask.error ?? flow.settings.error ?? DEFAULT_ERROR));
    return false;
  }
  const fallback = step.ask.fallback ?? flow.settings.fallback;
  if (fallback === 'end') run.speak(flow.settings.give_up_say ?? DEFAULT_GIVE_UP);
  return run.goTo(fallback, step);
}

/** The ask's timer: first a reminder (and a new timer until giving up), then the flow ends or hands off. */
export function askTimedOut(step: StepOf<'ask'>, run: FlowRun): void {
  const { flow, session, ctx } = run;
  if (!session.reminded) {
    session.reminded = true;
    askQuestion(step, run, fillTemplate(localize(step.ask.reminder ?? flow.settings.reminder ?? DEFAULT_REMINDER, ctx.locale), run.view()));
    run.out.effects.pop();
    run.out.effects.push({ type: 'timer', kind: 'timeout', runAt: new Date(ctx.now.getTime() + parseDuration(flow.settings.give_up_after)), seq: session.seq });
    return;
  }
  run.stat(step.id, 'timed_out');
  if (flow.settings.on_timeout === 'handoff') run.handOffWithNotice(`The customer did not answer "${step.id}" in time.`);
  else run.finish('abandoned');
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

function saveAnswer(ask: Ask, value: unknown, display: string, input: AnswerInput, variables: Record<string, unknown>, effect: (e: Effect) => void): void {
  if (ask.save) {
    variables[ask.save] = value;
    if (ask.type === 'choice') variables[`${ask.save}_label`] = display;
    if (ask.accept_attachments) variables[`${ask.save}_attachments`] = input.attachments ?? [];
  }
  if (ask.save_attribute && value !== null) {
    if (ask.save_attribute === 'name') effect({ type: 'name', name: String(value) });
    else effect({ type: 'attributes', values: { [ask.save_attribute]: value } });
  }
}
