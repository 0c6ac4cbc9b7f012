// npm run bench:health: how fast /healthz and /readyz answer while the pipeline runs at full
// load. Three processes, as in production: Parley (HTTP server, workers, its database) in one,
// a load generator sending signed WhatsApp webhooks in another, and this one probing health
// every PROBE_EVERY_MS and playing Meta's Graph API for the replies. Figures are printed, not
// asserted (the machine is shared: compare runs with their `uptime`).
import { createHmac } from 'node:crypto';
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dialect } from '../test/support/databases.ts';
import { openChannel } from '../src/core/channel.ts';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 20_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 200);
const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 2_000);
const PROBE_EVERY_MS = 20;
const SECRET = 'bench-app-secret';
const PHONE_ID = '106540352242922';
const self = fileURLToPath(import.meta.url);
const runner = join(self, '../../bin/run-ts.js');

const [mode, ...args] = process.argv.slice(2);
if (mode === 'serve') await serve(args[0] as Dialect, args[1] as string);
else if (mode === 'load') await load(args[0] as string);
else await main();

/** Parley with the Cloud API channel, every worker running, on a fresh database. */
async function serve(dialect: Dialect, graphUrl: string) {
  const { whatsappChannel } = await import('../channels/whatsapp/index.ts');
  const { buildServer } = await import('../src/server/app.ts');
  const { freshDatabase } = await import('../test/support/databases.ts');
  const { testParley } = await import('../test/support/parley.ts');
  const db = await freshDatabase(dialect);
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-health-bench-'));
  const env = {
    WHATSAPP_ACCESS_TOKEN: 'bench-token',
    WHATSAPP_PHONE_NUMBER_ID: PHONE_ID,
    WHATSAPP_APP_SECRET: SECRET,
    WHATSAPP_VERIFY_TOKEN: 'bench',
    WHATSAPP_GRAPH_URL: graphUrl,
    PARLEY_DATA_DIR: dataDir,
    PARLEY_POLL_INTERVAL: '250ms',
    PARLEY_SEND_BACKOFF_BASE: '1s',
    PARLEY_SEND_BACKOFF_MAX: '5m',
  };
  const parley = await testParley(db, { adapters: [(await openChannel(whatsappChannel, env)) as never], env });
  await parley.start();
  const app = await buildServer(parley);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address() as { port: number };
  process.send?.({ port: address.port });
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const timer = setInterval(() => {
    void Promise.all([parley.processor.pendingCount(), parley.dispatcher.unsentCount()]).then(([pending, unsent]) =>
      process.send?.({ pending, unsent, loopP99: loop.percentile(99) / 1e6, loopMax: loop.max / 1e6 }),
    );
  }, 500);
  process.on('message', async () => {
    clearInterval(timer);
    await app.close();
    await parley.stop();
    await db.dispose();
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  });
}

/** Sends MESSAGES signed webhooks, CONCURRENCY at a time, each awaited as Meta does. */
async function load(serverUrl: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const url = new URL('/webhooks/whatsapp', serverUrl);
  let next = 0;
  const statuses = new Map<number, number>();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < MESSAGES) {
        const i = next++;
        const from = `98912${String(i % CUSTOMERS).padStart(7, '0')}`;
        const body = JSON.stringify({
          object: 'whatsapp_business_account',
          entry: [
            {
              id: 'WABA',
              changes: [
                {
                  field: 'messages',
                  value: {
                    messaging_product: 'whatsapp',
                    metadata: { phone_number_id: PHONE_ID },
                    contacts: [{ wa_id: from, profile: { name: `مشتری ${i % CUSTOMERS}` } }],
                    messages: [
                      {
                        from,
                        id: `wamid.bench.${i}`,
                        timestamp: String(Math.floor(Date.now() / 1000)),
                        type: 'text',
                        text: { body: `پیام ${i}: سفارشم کجاست؟` },
                      },
                    ],
                  },
                },
              ],
            },
          ],
        });
        const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
        const status = await send(agent, url, 'POST', body, { 'content-type': 'application/json', 'x-hub-signature-256': signature });
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }),
  );
  process.send?.({ done: true, seconds: (performance.now() - started) / 1000, statuses: Object.fromEntries(statuses) });
  agent.destroy();
}

function send(agent: Agent, url: URL, method: string, body?: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, method, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Meta's Graph API for the replies: every send accepted. */
async function fakeGraph(): Promise<{ url: string; sends: () => number; close: () => Promise<void> }> {
  const { FakeHttpServer, json } = await import('../test/support/fake-http.ts');
  const graph = new FakeHttpServer();
  let sends = 0;
  graph.route = (req, res) => {
    sends++;
    json(res, 200, { messaging_product: 'whatsapp', messages: [{ id: `wamid.out.${sends}` }] });
  };
  const url = await graph.listen();
  // The recorded requests are not needed here: do not keep them all in memory.
  graph.requests.push = () => 0;
  return { url, sends: () => sends, close: () => graph.close() };
}

async function benchDialect(dialect: Dialect) {
  const graph = await fakeGraph();
  // BENCH_CPU_PROF=dir writes a CPU profile of the Parley process there (open it in Chrome DevTools).
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const server = fork(runner, [self, 'serve', dialect, graph.url], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: profile });
  const serverState = { pending: -1, unsent: -1, loopP99: Number.NaN, loopMax: Number.NaN };
  const port = await new Promise<number>((resolve) =>
    server.on('message', (m: { port?: number; pending?: number; unsent?: number }) => {
      if (m.port) resolve(m.port);
      if (m.pending !== undefined) Object.assign(serverState, m);
    }),
  );
  const serverUrl = `http://127.0.0.1:${port}`;
  const loadBefore = loadavg()[0] as number;
  const loader = fork(runner, [self, 'load', serverUrl], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let loadResult: { seconds: number; statuses: Record<string, number> } | undefined;
  loader.on('message', (m: { seconds: number; statuses: Record<string, number> }) => (loadResult = m));

  const probes = { healthz: [] as number[], readyz: [] as number[], failed: 0 };
  const agent = new Agent({ keepAlive: true, maxSockets: 2 });
  const started = performance.now();
  const finished = () => loadResult !== undefined && serverState.pending === 0 && serverState.unsent === 0;
  const probe = async (path: 'healthz' | 'readyz') => {
    while (!finished() && performance.now() - started < 600_000) {
      const t0 = performance.now();
      const status = await send(agent, new URL(`/${path}`, serverUrl), 'GET').catch(() => 0);
      if (status === 200) probes[path].push(performance.now() - t0);
      else probes.failed++;
      await new Promise((r) => setTimeout(r, PROBE_EVERY_MS));
    }
  };
  await Promise.all([probe('healthz'), probe('readyz')]);
  const totalSeconds = (performance.now() - started) / 1000;
  agent.destroy();
  await stop(loader);
  server.send('stop');
  await new Promise((r) => server.on('exit', r));
  await graph.close();
  return { dialect, probes, load: loadResult, totalSeconds, replies: graph.sends(), loadBefore, loadAfter: loadavg()[0] as number, loop: serverState };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.on('exit', () => resolve());
    child.kill();
  });
}

async function main() {
  const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const { execSync } = await import('node:child_process');
  console.log(`Health under load (node ${process.version}): ${MESSAGES} signed WhatsApp webhooks, ${CONCURRENCY} in flight, ${CUSTOMERS} customers;`);
  console.log(`/healthz and /readyz probed every ${PROBE_EVERY_MS} ms until every message is handled and every reply sent (target p99 < 50 ms).`);
  console.log(`uptime: ${execSync('uptime').toString().trim()}\n`);
  for (const dialect of (process.env.BENCH_DIALECTS?.split(',') as Dialect[] | undefined) ?? (['sqlite', 'postgresql'] as Dialect[])) {
    const r = await benchDialect(dialect);
    console.log(`== ${dialect} (load average ${fmt(r.loadBefore, 2)} before, ${fmt(r.loadAfter, 2)} after)`);
    console.log(
      `  webhooks: ${r.load ? `${fmt(MESSAGES / r.load.seconds, 0)}/s over ${fmt(r.load.seconds)} s, statuses ${JSON.stringify(r.load.statuses)}` : 'did not finish'}; replies sent ${r.replies}; run ${fmt(r.totalSeconds)} s`,
    );
    for (const path of ['healthz', 'readyz'] as const) {
      const sorted = r.probes[path].sort((a, b) => a - b);
      console.log(
        `  /${path.padEnd(7)}: ${sorted.length} probes, p50 ${fmt(percentile(sorted, 50))} ms, p99 ${fmt(percentile(sorted, 99))} ms, max ${fmt(sorted.at(-1) ?? Number.NaN)} ms`,
      );
    }
    console.log(`  event loop delay in the Parley process: p99 ${fmt(r.loop.loopP99)} ms, max ${fmt(r.loop.loopMax)} ms`);
    console.log(`  failed probes: ${r.probes.failed}\n`);
  }
  console.log(`uptime: ${execSync('uptime').toString().trim()}`);
}
