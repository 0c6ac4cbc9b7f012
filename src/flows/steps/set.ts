import { fillTemplate } from '../text.ts';
import type { StepExecutor } from './executor.ts';

/** Sets variables, customer attributes and the conversation's language from templates. */
export const executeSet: StepExecutor<'set'> = (step, run) => {
  for (const [name, template] of Object.entries(step.set.variables ?? {})) run.session.variables[name] = fillTemplate(template, run.view());
  const attributes = Object.fromEntries(Object.entries(step.set.attributes ?? {}).map(([k, v]) => [k, fillTemplate(v, run.view())]));
  if (Object.keys(attributes).length > 0) run.effect({ type: 'attributes', values: attributes });
  if (step.set.locale) {
    run.ctx.locale = fillTemplate(step.set.locale, run.view());
    run.effect({ type: 'locale', locale: run.ctx.locale });
  }
  return run.goTo(step.next, step);
};
