import { evaluate } from '../conditions.ts';
import type { StepExecutor } from './executor.ts';

/** Goes to the first case whose condition holds, else to `else`, else on. */
export const executeBranch: StepExecutor<'branch'> = (step, run) => {
  const { ctx, customer, session } = run;
  const conditions = {
    variables: session.variables,
    attributes: customer.attributes,
    tags: customer.tags,
    channel: ctx.channel,
    locale: ctx.locale,
    isNewCustomer: ctx.isNewCustomer,
    now: ctx.now,
  };
  const match = step.branch.cases.find((c) => evaluate(c.when, conditions));
  return run.goTo(match?.goto ?? step.branch.else ?? step.next, step);
};
