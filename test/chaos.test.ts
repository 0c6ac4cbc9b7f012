// The chaos harness's short run (npm run chaos -- --short), one test per scenario: real
// `parley start` processes, signed webhooks, kill -9, 3 processes, provider faults, poison
// input, checked from the outside. Targets as in issue 13; a failure lists what missed them.
import { describe, expect, it } from 'vitest';
import { formatReport } from '../scripts/chaos/report.ts';
import { runScenario } from '../scripts/chaos/run.ts';
import { scenarios, sizes } from '../scripts/chaos/scenarios.ts';

const seed = Number(process.env.CHAOS_SEED ?? 13);

describe('chaos (short run)', () => {
  it.each(scenarios.map((s) => [`${s.id}: ${s.title}`, s] as const))(
    '%s: nothing lost, stored twice, out of order or unanswered; no duplicate delivery beyond the sends in flight at a kill',
    async (_name, scenario) => {
      const report = await runScenario(scenario, { size: sizes.short, seed: seed + scenarios.indexOf(scenario), keep: false, log: () => undefined });
      // The table explains a failure: every count of the scenario, and where its logs are.
      expect(report.violations, formatReport([report])).toEqual([]);
      expect(report.tally.sent).toBeGreaterThan(0);
    },
    900_000,
  );
});
