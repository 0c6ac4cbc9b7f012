import type { FlowRun } from '../run.ts';
import type { StepOf, StepType } from '../schema.ts';

/** Runs one step; true when the run goes on to the step it moved to, false when it paused or ended. */
export type StepExecutor<T extends StepType> = (step: StepOf<T>, run: FlowRun) => boolean | Promise<boolean>;
