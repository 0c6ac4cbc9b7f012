import { compileWasmWithoutTierUp } from './lean-memory.ts';
import { runCli } from './program.ts';

compileWasmWithoutTierUp();

// `parley ... | head`: the reader has what it wanted and closed the pipe; stop quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

const code = await runCli(process.argv.slice(2));
// A command that failed may have left workers or connections open: end here, not when they close.
if (code !== 0) process.exit(code);
