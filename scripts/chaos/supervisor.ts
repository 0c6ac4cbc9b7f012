import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const PARLEY_BIN = resolve(import.meta.dirname, '../../bin/parley.js');

/** A free TCP port on 127.0.0.1 (the OS picks it; the process binds it right after). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (address === null || typeof address === 'string') throw new Error('no TCP port could be reserved');
  return address.port;
}

interface Slot {
  readonly index: number;
  readonly port: number;
  child?: ChildProcess;
  ready: boolean;
  starts: number;
}

/**
 * Runs `parley start` processes (bin/parley.js, the real command) with one environment, each
 * on its own port and log file; kills them with SIGKILL and starts them again.
 */
export class ParleySupervisor {
  readonly #slots: Slot[] = [];
  readonly #logs: WriteStream[] = [];

  constructor(
    private readonly env: Readonly<Record<string, string>>,
    private readonly logDir: string,
    /** Node options of every process (e.g. --cpu-prof for a benchmark's profile). */
    private readonly execArgv: readonly string[] = [],
  ) {}

  /** Starts `count` processes and waits until each answers /readyz. */
  async start(count: number): Promise<void> {
    for (let index = 0; index < count; index++) this.#slots.push({ index, port: await freePort(), ready: false, starts: 0 });
    await Promise.all(this.#slots.map((slot) => this.#launch(slot)));
  }

  /** Base URLs of the processes that are up and ready. */
  targets(): string[] {
    return this.#slots.filter((s) => s.ready).map((s) => `http://127.0.0.1:${s.port}`);
  }

  /** Process ids of the processes that are up (for CPU accounting). */
  pids(): number[] {
    return this.#slots.flatMap((s) => (s.ready && s.child?.pid !== undefined ? [s.child.pid] : []));
  }

  logFiles(): string[] {
    return this.#slots.map((s) => join(this.logDir, `parley-${s.index}.log`));
  }

  /** kill -9 of process `index`; resolves once it is gone. */
  async kill(index: number): Promise<void> {
    const slot = this.#slot(index);
    const child = slot.child;
    slot.ready = false;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  async restart(index: number): Promise<void> {
    await this.#launch(this.#slot(index));
  }

  /** SIGTERM to every process (a graceful stop), SIGKILL after `graceMs`. */
  async stopAll(graceMs = 20_000): Promise<void> {
    await Promise.all(
      this.#slots.map(async (slot) => {
        slot.ready = false;
        const child = slot.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }),
    );
    const logs = this.#logs.splice(0);
    await Promise.all(logs.map((log) => new Promise<void>((done) => log.end(() => done()))));
  }

  #slot(index: number): Slot {
    const slot = this.#slots[index];
    if (!slot) throw new Error(`no Parley process ${index}`);
    return slot;
  }

  async #launch(slot: Slot): Promise<void> {
    const log = createWriteStream(join(this.logDir, `parley-${slot.index}.log`), { flags: 'a' });
    this.#logs.push(log);
    slot.starts++;
    log.write(`\n=== start ${slot.starts} of process ${slot.index} at ${new Date().toISOString()} ===\n`);
    // Own stdio pipes, never the harness's: an orphan must not hold a CI pipe open.
    const child = spawn(process.execPath, [...this.execArgv, PARLEY_BIN, 'start'], {
      env: { ...this.env, PORT: String(slot.port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    slot.child = child;
    const deadline = Date.now() + 180_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`parley start (process ${slot.index}) exited with ${child.exitCode}: see ${log.path}`);
      const ready = await fetch(`http://127.0.0.1:${slot.port}/readyz`, { signal: AbortSignal.timeout(10_000) })
        .then((r) => r.ok)
        .catch(() => false);
      if (ready) {
        slot.ready = true;
        return;
      }
      await sleep(200);
    }
    throw new Error(`parley start (process ${slot.index}) was not ready within 180 s: see ${log.path}`);
  }
}
