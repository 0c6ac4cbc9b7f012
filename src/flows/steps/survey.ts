import type { StepExecutor } from './executor.ts';

/** Records a CSAT or NPS answer from the variables that hold it (nothing when there is no score). */
export const executeSurvey: StepExecutor<'survey'> = (step, run) => {
  const { variables } = run.session;
  const score = Number(variables[step.survey.score]);
  if (Number.isFinite(score)) {
    const comment = step.survey.comment ? variables[step.survey.comment] : undefined;
    run.effect({ type: 'survey', kind: step.survey.kind, score, comment: typeof comment === 'string' && comment ? comment : null });
  }
  return run.goTo(step.next, step);
};
