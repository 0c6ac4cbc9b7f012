import type { StepExecutor } from './executor.ts';

export const executeTag: StepExecutor<'tag'> = (step, run) => {
  run.effect({ type: 'tags', add: step.tag, remove: [] });
  return run.goTo(step.next, step);
};

export const executeUntag: StepExecutor<'untag'> = (step, run) => {
  run.effect({ type: 'tags', add: [], remove: step.untag });
  return run.goTo(step.next, step);
};
