import { parseDuration } from '../core/duration.ts';
import { DEFAULT_HANDOFF } from './defaults.ts';
import type { Effect, Priority, RunContext, RunResult, SessionState, StepEventKind } from './interpreter.ts';
import { renderAsk, renderSay } from './render.ts';
import type { Ask, Flow, LocalizedText, Step } from './schema.ts';
import { say } from './text.ts';

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

export type PriorityRule = Priority | { from: string; map: Record<string, Priority>; default: Priority } | undefined;

/**
 * One run of a flow: the session it moves, what it says and decides (messages, effects,
 * stats), and the moves every step executor uses (go to, pause, hand off, finish).
 */
export class FlowRun {
  readonly out: RunResult;
  /** What this run learns about the customer is visible to its own later steps. */
  readonly customer: { name: string | null; attributes: Record<string, unknown>; tags: string[] };
  readonly #steps: ReadonlyMap<string, { step: Step; index: number }>;

  constructor(
    readonly flow: Flow,
    state: SessionState,
    readonly ctx: RunContext,
  ) {
    this.out = { state: { ...state, variables: { ...state.variables } }, messages: [], effects: [], stats: [] };
    this.customer = { name: ctx.customer.name, attributes: { ...ctx.customer.attributes }, tags: [...ctx.customer.tags] };
    this.#steps = stepIndex(flow);
  }

  get session(): SessionState {
    return this.out.state;
  }

  current(): Step | undefined {
    return this.#steps.get(this.session.stepId)?.step;
  }

  /** An effect for the caller to commit; customer changes are also seen by later steps. */
  effect(e: Effect): void {
    this.out.effects.push(e);
    const c = this.customer;
    if (e.type === 'attributes') Object.assign(c.attributes, e.values);
    if (e.type === 'name') c.name = e.name;
    if (e.type === 'tags') c.tags = [...new Set([...c.tags, ...e.add])].filter((t) => !e.remove.includes(t));
  }

  stat(stepId: string, kind: StepEventKind): void {
    this.out.stats.push({ flowId: this.flow.id, flowVersion: this.flow.version, stepId, kind });
  }

  /** What templates see. */
  view(): Record<string, unknown> {
    const c = this.customer;
    return {
      ...this.session.variables,
      customer: { ...c.attributes, name: c.name ?? '', tags: c.tags },
      channel: this.ctx.channel,
      locale: this.ctx.locale,
      flow: { id: this.flow.id, name: this.flow.name },
    };
  }

  text(t: LocalizedText): string {
    return say(t, this.ctx.locale, this.view());
  }

  speak(t: LocalizedText): void {
    this.out.messages.push(...renderSay(this.text(t), this.ctx.capabilities));
  }

  /** Sends an ask's question (as the channel shows its options) and waits for the answer. */
  ask(step: Step & { ask: Ask }, body: string, shownAs: Ask = step.ask): void {
    this.out.messages.push(...renderAsk(body, shownAs, step.id, this.ctx.locale, this.ctx.capabilities));
    this.pause('ask', step.ask.remind_after ?? this.flow.settings.remind_after, 'timeout');
  }

  /** Waits for the customer or for time: a timer that is stale once the session moves. */
  pause(waiting: 'ask' | 'wait', after: string, timer: 'timeout' | 'wait'): void {
    const s = this.session;
    s.waiting = waiting;
    s.seq++;
    this.out.effects.push({ type: 'timer', kind: timer, runAt: new Date(this.ctx.now.getTime() + parseDuration(after)), seq: s.seq });
  }

  finish(status: 'completed' | 'abandoned'): void {
    const s = this.session;
    s.status = status;
    s.waiting = null;
    s.seq++;
    this.stat(s.stepId, status === 'completed' ? 'completed' : 'dropped');
  }

  /** Passes the conversation to a team with what the flow collected, and ends the flow. */
  handOff(team: string | undefined, priority: Priority | undefined, note: string): void {
    const collected = Object.fromEntries(
      Object.entries(this.session.variables)
        .filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object')
        .map(([k, v]) => [k, String(v)]),
    );
    this.out.effects.push({ type: 'handoff', team: team ?? this.flow.settings.team, priority, note, collected });
    this.finish('completed');
  }

  /** A hand-off the flow file gave no words for (a fallback, a timeout): the customer is told. */
  handOffWithNotice(note: string): void {
    this.speak(this.flow.settings.handoff_say ?? DEFAULT_HANDOFF);
    this.handOff(undefined, undefined, note);
  }

  /** Moves to a target (a step id, `handoff`, `end`, or undefined: the following step); false when the flow is over. */
  goTo(target: string | undefined, from: Step): boolean {
    if (target === 'end') {
      this.finish('completed');
      return false;
    }
    if (target === 'handoff') {
      this.handOffWithNotice(`Flow "${this.flow.name}" handed over at step "${from.id}".`);
      return false;
    }
    const next = target ? this.#steps.get(target)?.step : this.flow.steps[(this.#steps.get(from.id)?.index ?? -1) + 1];
    if (!next) {
      this.finish('completed');
      return false;
    }
    const s = this.session;
    s.stepId = next.id;
    s.retries = 0;
    s.reminded = false;
    s.waiting = null;
    return true;
  }

  priorityOf(rule: PriorityRule): Priority | undefined {
    if (!rule || typeof rule === 'string') return rule;
    return rule.map[String(this.session.variables[rule.from] ?? '')] ?? rule.default;
  }
}
