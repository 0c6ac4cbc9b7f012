import { runScenario, type ScenarioReport } from './run.ts';
import { scenarios, sizes } from './scenarios.ts';

export interface ChaosOptions {
  readonly short: boolean;
  /** Scenario ids to run (default: all). */
  readonly only?: readonly string[];
  readonly seed: number;
  readonly keep?: boolean;
  readonly log?: (line: string) => void;
}

/** Runs the scenarios one after the other (they share the machine's two cores) and returns their reports. */
export async function runChaos(options: ChaosOptions): Promise<ScenarioReport[]> {
  const unknown = options.only?.filter((id) => !scenarios.some((s) => s.id === id)) ?? [];
  if (unknown.length > 0) throw new Error(`no chaos scenario ${unknown.join(', ')}: choose from ${scenarios.map((s) => s.id).join(', ')}`);
  const chosen = scenarios.filter((s) => !options.only || options.only.includes(s.id));
  const reports: ScenarioReport[] = [];
  for (const [index, scenario] of chosen.entries()) {
    reports.push(
      await runScenario(scenario, {
        size: sizes[options.short ? 'short' : 'full'],
        seed: options.seed + index,
        keep: options.keep ?? false,
        log: options.log ?? (() => undefined),
      }),
    );
  }
  return reports;
}
