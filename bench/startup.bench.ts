// npm run bench:startup: what starting Parley costs, beside the targets of issue 15. Runs the
// compiled command line (bin/parley.js, what `npm start` and the `parley` bin run) as separate
// processes: `parley --help` and `parley channels` (CPU time each), and `parley start` on
// SQLite in a fresh data directory (time until /readyz answers 200, its CPU until then, and its
// resident memory after IDLE_MS at rest). Figures are printed, not asserted: the machine is
// shared, so compare runs with the load printed beside them.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, staleReason } from '../scripts/build.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const START_RUNS = Number(process.env.BENCH_START_RUNS ?? 3);
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 5_000);
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'parley.js');
const usageHook = join(root, 'bench', 'startup', 'report-usage.js');
const scratch = mkdtempSync(join(tmpdir(), 'parley-startup-bench-'));

interface Usage {
  readonly cpuMs: number;
  readonly rssBytes: number;
}

/** The environment of a Parley with nothing configured: no channel, no desk, SQLite under `dataDir`. */
function plainEnv(dataDir: string, usageFile: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(DATABASE_URL|PARLEY_|WHATSAPP_|TWILIO_|EMAIL_|SLACK_|OPENAI_|LOG_)/.test(name)) env[name] = value;
  }
  return { ...env, PARLEY_DATA_DIR: dataDir, LOG_FORMAT: 'json', LOG_LEVEL: 'warn', PARLEY_BENCH_USAGE_FILE: usageFile };
}

function readUsage(file: string): Usage {
  return JSON.parse(readFileSync(file, 'utf8')) as Usage;
}

/** Runs `parley <args>` to its end; its own CPU time. */
async function commandUsage(args: string[], run: number): Promise<Usage> {
  const usageFile = join(scratch, `usage-${args.join('-')}-${run}.json`);
  const child = spawn(process.execPath, ['--import', usageHook, bin, ...args], { cwd: root, env: plainEnv(join(scratch, 'data'), usageFile), stdio: 'ignore' });
  const code = await new Promise<number | null>((resolve, reject) => child.on('error', reject).on('exit', resolve));
  if (code !== 0) throw new Error(`parley ${args.join(' ')} exited with ${code}`);
  return readUsage(usageFile);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function readyzStatus(url: string): Promise<number | undefined> {
  try {
    return (await fetch(url)).status;
  } catch {
    return undefined; // not listening yet
  }
}

/** `parley start` on a fresh SQLite data directory: until /readyz says 200, then at rest. */
async function startUsage(run: number): Promise<{ readyMs: number; readyCpuMs: number; idleRssBytes: number }> {
  const dataDir = join(scratch, `start-${run}`);
  const usageFile = join(scratch, `usage-start-${run}.json`);
  const port = await freePort();
  const began = performance.now();
  const child = spawn(process.execPath, ['--import', usageHook, bin, 'start'], {
    cwd: root,
    env: { ...plainEnv(dataDir, usageFile), HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  let ended = false;
  void exited.then(() => (ended = true));
  const usageNow = async (): Promise<Usage> => {
    rmSync(usageFile, { force: true });
    child.kill('SIGUSR2');
    while (!existsSync(usageFile)) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 10)); // the write is one call; let it finish
    return readUsage(usageFile);
  };
  try {
    while ((await readyzStatus(`http://127.0.0.1:${port}/readyz`)) !== 200) {
      if (ended) throw new Error(`parley start exited before it was ready:\n${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const readyMs = performance.now() - began;
    const ready = await usageNow();
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const idle = await usageNow();
    return { readyMs, readyCpuMs: ready.cpuMs, idleRssBytes: idle.rssBytes };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

function summary(values: number[], unit: (v: number) => string): string {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] as number;
  return `${unit(median)} (${unit(sorted[0] as number)}-${unit(sorted.at(-1) as number)})`;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const megabytes = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MB`;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

try {
  const stale = staleReason();
  if (stale) {
    const built = await build();
    console.log(`built dist/ first (${stale}): ${built.ms} ms`);
  }
  console.log(`load average before: ${load()} (1, 5, 15 min); median (min-max) of ${RUNS} runs, start ${START_RUNS} runs`);
  const help: number[] = [];
  const channels: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    help.push((await commandUsage(['--help'], run)).cpuMs);
    channels.push((await commandUsage(['channels'], run)).cpuMs);
  }
  const starts: Awaited<ReturnType<typeof startUsage>>[] = [];
  for (let run = 0; run < START_RUNS; run++) starts.push(await startUsage(run));
  const rows = [
    ['parley --help, CPU', '<= 0.3 s', summary(help, seconds)],
    ['parley channels, CPU', '<= 0.5 s', summary(channels, seconds)],
    [
      'parley start to /readyz 200 (SQLite, fresh data dir), wall',
      '<= 3 s',
      summary(
        starts.map((s) => s.readyMs),
        seconds,
      ),
    ],
    [
      '  its CPU until then',
      '',
      summary(
        starts.map((s) => s.readyCpuMs),
        seconds,
      ),
    ],
    [
      `idle RSS ${IDLE_MS / 1000} s after start`,
      '<= 150 MB',
      summary(
        starts.map((s) => s.idleRssBytes),
        megabytes,
      ),
    ],
  ];
  console.log('| figure | target | measured |\n| --- | --- | --- |');
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  console.log(`load average after: ${load()}`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
