import type { ChannelCapabilities } from '../core/channel.ts';
import { newId } from '../core/ids.ts';
import type { OutboundContent } from '../core/message.ts';
import type { AnswerInput } from './answers.ts';
import type { IntentClassifier } from './intent.ts';
import { FlowRun } from './run.ts';
import type { Flow, Step } from './schema.ts';
import { answerAsk, askTimedOut } from './steps/ask.ts';
import { executeStep } from './steps/index.ts';

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
  | { readonly type: 'key_customer'; readonly isKey: boolean; readonly reason: string }
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

const MAX_STEPS_PER_RUN = 200;

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
 * decides comes back as messages, effects and stats for the caller to commit in one go. Each
 * step type has its executor (src/flows/steps/); this resumes a waiting step, then dispatches.
 */
export async function runFlow(flow: Flow, state: SessionState, input: RunInput, ctx: RunContext): Promise<RunResult> {
  const run = new FlowRun(flow, state, ctx);
  const s = run.session;
  let step = run.current();
  if (!step) {
    run.finish('abandoned');
    return run.out;
  }
  let proceed = true;
  if (input.kind === 'timer') {
    const expected = input.timer === 'timeout' ? 'ask' : 'wait';
    // A timer set before the session last moved is stale: nothing happens.
    if (input.seq !== s.seq || s.status !== 'active' || s.waiting !== expected) return { ...run.out, state };
    if (input.timer === 'wait') proceed = run.goTo(step.next, step);
    else {
      if (step.type === 'ask') askTimedOut(step, run);
      else run.finish('abandoned');
      return run.out;
    }
  } else if (input.kind === 'message' && s.waiting === 'wait') {
    // A customer who writes during a wait need not wait for the timer.
    proceed = run.goTo(step.next, step);
  } else if (input.kind === 'message' && s.waiting === 'ask' && step.type === 'ask') {
    proceed = await answerAsk(step, input.input, run);
  }

  for (let count = 0; proceed && s.status === 'active'; count++) {
    step = run.current();
    if (!step) {
      run.finish('completed');
      break;
    }
    if (count >= MAX_STEPS_PER_RUN) {
      run.handOff(undefined, undefined, `Flow "${flow.name}" ran ${MAX_STEPS_PER_RUN} steps without pausing at "${step.id}"; check it for a loop.`);
      break;
    }
    run.stat(step.id, 'entered');
    proceed = await executeStep(step, run);
  }
  return run.out;
}
