import type { StepExecutor } from './executor.ts';

export const executeSay: StepExecutor<'say'> = (step, run) => {
  run.speak(step.say);
  return run.goTo(step.next, step);
};
