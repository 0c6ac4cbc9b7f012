/**
 * `npm run corpus`: how the email channel reads the real-mail corpus, per category: stored right
 * (bounce / delay / message, automatic or not, attachments), text right (visible text or bounce
 * reason), threading right (In-Reply-To, or the returned original of a bounce), wrongly answered.
 * `--verbose` lists every mail that is not right and why; `--dir <path>` reads another corpus of the
 * same layout (as PARLEY_EMAIL_CORPUS does).
 */
import { parseArgs } from 'node:util';
import { CATEGORIES, CorpusMissingError, type CorpusRun, type MailVerdict, runCorpus } from './corpus.ts';

const { values: options } = parseArgs({ options: { verbose: { type: 'boolean' }, dir: { type: 'string' } } });
let run: CorpusRun;
try {
  run = await runCorpus(options.dir);
} catch (error) {
  if (!(error instanceof CorpusMissingError)) throw error;
  console.error(`npm run corpus: ${error.message}`);
  process.exit(2);
}
const { verdicts, decodeMs, bytes } = run;
const count = (of: readonly MailVerdict[]) => ({
  mails: of.length,
  'stored right': of.filter((v) => v.storedRight).length,
  'text right': of.filter((v) => v.textRight).length,
  'threading right': of.filter((v) => v.threadingRight).length,
  'wrongly answered': of.filter((v) => v.wronglyAnswered).length,
});
const rows = [
  ...CATEGORIES.map((category) => ({ category, ...count(verdicts.filter((v) => v.category === category)) })),
  { category: 'all', ...count(verdicts) },
];
console.table(rows);
console.log(`decoded ${verdicts.length} mails (${(bytes / 1024).toFixed(0)} KiB) in ${decodeMs.toFixed(0)} ms, one after another`);
const wrong = verdicts.filter((v) => v.problems.length > 0);
if (options.verbose) for (const v of wrong) console.log(`${v.file}: ${v.problems.join('; ')}${v.knownWrong ? ` (known: ${v.knownWrong})` : ''}`);
const unexpected = wrong.filter((v) => !v.knownWrong).length;
console.log(`${wrong.length} mails read wrong, ${wrong.length - unexpected} of them known in expected.json (--verbose lists them)`);
if (unexpected > 0) process.exitCode = 1;
