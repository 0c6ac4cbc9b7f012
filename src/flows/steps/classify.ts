import { fillTemplate } from '../text.ts';
import type { StepExecutor } from './executor.ts';

/** Tells the intent of the last message (or of a template) and routes on it. */
export const executeClassify: StepExecutor<'classify'> = async (step, run) => {
  const { ctx } = run;
  const input = step.classify.input ? fillTemplate(step.classify.input, run.view()) : (ctx.lastText ?? '');
  const result = await ctx.classifier.classify(input, ctx.locale, { channel: ctx.channel });
  run.session.variables[step.classify.save] = result.intent;
  return run.goTo(step.classify.routes[result.intent] ?? step.classify.else ?? step.next, step);
};
