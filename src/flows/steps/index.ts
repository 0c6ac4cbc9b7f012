import type { FlowRun } from '../run.ts';
import type { Step, StepOf, StepType } from '../schema.ts';
import { executeAsk } from './ask.ts';
import { executeBranch } from './branch.ts';
import { executeClassify } from './classify.ts';
import type { StepExecutor } from './executor.ts';
import { executeHandoff } from './handoff.ts';
import { executeKeyCustomer } from './key-customer.ts';
import { executeEnd, executeGoto, executeStartFlow, executeWait } from './moves.ts';
import { executeSay } from './say.ts';
import { executeSet } from './set.ts';
import { executeSurvey } from './survey.ts';
import { executeTag, executeUntag } from './tag.ts';
import { executeTicket } from './ticket.ts';
import { executeWebhook } from './webhook.ts';

/** One executor per step type: adding a step type is a schema entry, a file here and a line in this map. */
const EXECUTORS: { readonly [T in StepType]: StepExecutor<T> } = {
  say: executeSay,
  ask: executeAsk,
  branch: executeBranch,
  set: executeSet,
  tag: executeTag,
  untag: executeUntag,
  key_customer: executeKeyCustomer,
  ticket: executeTicket,
  survey: executeSurvey,
  handoff: executeHandoff,
  goto: executeGoto,
  wait: executeWait,
  webhook: executeWebhook,
  classify: executeClassify,
  start_flow: executeStartFlow,
  end: executeEnd,
};

/** Runs a step with its type's executor; true when the run goes on. */
export function executeStep(step: Step, run: FlowRun): boolean | Promise<boolean> {
  return (EXECUTORS[step.type] as StepExecutor<StepType>)(step as StepOf<StepType>, run);
}
