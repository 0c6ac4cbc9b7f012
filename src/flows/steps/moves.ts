import type { StepExecutor } from './executor.ts';

export const executeGoto: StepExecutor<'goto'> = (step, run) => run.goTo(step.goto, step);

/** Pauses for a duration; a message from the customer ends the wait early. */
export const executeWait: StepExecutor<'wait'> = (step, run) => {
  run.pause('wait', step.wait, 'wait');
  return false;
};

/** Ends this flow and continues in another (the engine starts it in the same turn). */
export const executeStartFlow: StepExecutor<'start_flow'> = (step, run) => {
  run.effect({ type: 'start_flow', flowId: step.start_flow });
  run.finish('completed');
  return false;
};

export const executeEnd: StepExecutor<'end'> = (step, run) => {
  if (step.end !== true && step.end.say) run.speak(step.end.say);
  run.finish('completed');
  return false;
};
