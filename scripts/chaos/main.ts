// npm run chaos [-- --short] [--only a,c] [--seed N] [--keep]: Parley under load, kill -9,
// several processes, provider faults and poison input, checked from the outside (issue 13).
import { parseArgs } from 'node:util';
import { formatReport } from './report.ts';
import { runChaos } from './chaos.ts';

const { values } = parseArgs({
  options: {
    short: { type: 'boolean', default: false },
    only: { type: 'string' },
    seed: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
if (!Number.isInteger(seed)) throw new Error(`--seed "${values.seed}" is not a whole number`);
console.log(`chaos: ${values.short ? 'short' : 'full'} run, seed ${seed} (replay with --seed ${seed})`);
const reports = await runChaos({
  short: values.short,
  only: values.only?.split(',').map((id) => id.trim()),
  seed,
  keep: values.keep,
  log: (line) => console.log(line),
});
console.log(`\n${formatReport(reports)}`);
process.exit(reports.some((r) => r.violations.length > 0) ? 1 : 0);
