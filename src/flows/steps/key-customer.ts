import { fillTemplate } from '../text.ts';
import type { StepExecutor } from './executor.ts';

/** Marks (or unmarks) the customer as a key customer, with the flow and reason recorded. */
export const executeKeyCustomer: StepExecutor<'key_customer'> = (step, run) => {
  const why = step.key_customer.reason ? `: ${fillTemplate(step.key_customer.reason, run.view())}` : '';
  run.effect({ type: 'key_customer', isKey: step.key_customer.key, reason: `flow ${run.flow.id}${why}` });
  return run.goTo(step.next, step);
};
