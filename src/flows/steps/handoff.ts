import { fillTemplate } from '../text.ts';
import type { StepExecutor } from './executor.ts';

export const executeHandoff: StepExecutor<'handoff'> = (step, run) => {
  if (step.handoff.say) run.speak(step.handoff.say);
  const note = step.handoff.note ? fillTemplate(step.handoff.note, run.view()) : `Flow "${run.flow.name}" handed over.`;
  run.handOff(step.handoff.team, run.priorityOf(step.handoff.priority), note);
  return false;
};
