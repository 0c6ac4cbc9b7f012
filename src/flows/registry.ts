import { type FSWatcher, readdirSync, readFileSync, statSync, watch } from 'node:fs';
import { join, relative } from 'node:path';
import type { Logger } from 'pino';
import type { Database, Prisma } from '../db/database.ts';
import type { Flow } from './schema.ts';
import { type FlowProblem, formatProblem, keywordClashes, parseFlowFile, positionIn } from './validate.ts';

export interface LoadedFlow {
  readonly flow: Flow;
  readonly file: string;
  readonly source: string;
}

export interface DirectoryResult {
  /** The flows in use: every good file's, and the last good version of a refused file when one is given. */
  readonly flows: LoadedFlow[];
  readonly problems: FlowProblem[];
  /** Files refused (their problems are in `problems`). */
  readonly failedFiles: string[];
  /** Of `flows`, the last good versions kept for refused files. */
  readonly kept: LoadedFlow[];
  /** Every flow file of the directory. */
  readonly files: string[];
}

export interface DirectoryOptions {
  /** Relative to it files are named in problems. */
  readonly cwd?: string;
  /** The last good version of a file, used while the file is refused. */
  readonly lastGood?: (file: string) => LoadedFlow | undefined;
  /** The file whose flow with this id is in use now: it keeps the id when another file claims it too. */
  readonly liveFile?: (flowId: string) => string | undefined;
}

/**
 * Flow files are a few kilobytes; a bigger one is a mistake (or an attack), refused before it
 * is read so that it cannot hold the event loop while being parsed.
 */
export const MAX_FLOW_FILE_BYTES = 256 * 1024;

const isFlowFile = (name: string) => /\.ya?ml$/i.test(name);

type FileRead = { readonly ok: true; readonly source: string } | { readonly ok: false; readonly problem: string };

function readFlowFile(path: string): FileRead {
  try {
    const size = statSync(path).size;
    if (size > MAX_FLOW_FILE_BYTES)
      return {
        ok: false,
        problem: `the file is ${formatBytes(size)}; a flow file may be at most ${formatBytes(MAX_FLOW_FILE_BYTES)} (split it into several flows)`,
      };
    return { ok: true, source: readFileSync(path, 'utf8') };
  } catch (error) {
    return { ok: false, problem: `cannot read the file: ${(error as Error).message}` };
  }
}

const formatBytes = (n: number) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`);

/**
 * Reads and checks every flow file of a directory, including rules across files. One file's
 * problems never stop the others from loading.
 */
export function readFlowDirectory(dir: string, cwdOrOptions: string | DirectoryOptions = {}): DirectoryResult {
  const options = typeof cwdOrOptions === 'string' ? { cwd: cwdOrOptions } : cwdOrOptions;
  const cwd = options.cwd ?? process.cwd();
  let names: string[];
  try {
    names = readdirSync(dir).filter(isFlowFile).sort();
  } catch (error) {
    return {
      flows: [],
      problems: [{ file: dir, line: 1, column: 1, message: `cannot read the flows directory: ${(error as Error).message}` }],
      failedFiles: [],
      kept: [],
      files: [],
    };
  }
  const problems: FlowProblem[] = [];
  const failedFiles: string[] = [];
  const sources = new Map<string, string>();
  const files: string[] = [];
  /** Per file, the version that would be used: the file's own, or its last good one. */
  const candidates: { loaded: LoadedFlow; fresh: boolean }[] = [];
  const refuse = (file: string) => {
    failedFiles.push(file);
    const last = options.lastGood?.(file);
    if (last) candidates.push({ loaded: last, fresh: false });
  };
  for (const name of names) {
    const path = join(dir, name);
    const file = relative(cwd, path) || path;
    files.push(file);
    const read = readFlowFile(path);
    if (!read.ok) {
      problems.push({ file, line: 1, column: 1, message: read.problem });
      refuse(file);
      continue;
    }
    sources.set(file, read.source);
    const result = parseFlowFile(file, read.source);
    if (result.ok) candidates.push({ loaded: { flow: result.flow, file, source: read.source }, fresh: true });
    else {
      problems.push(...result.problems);
      refuse(file);
    }
  }

  // One file per flow id: the one in use keeps it, else a kept last good version, else the first by name.
  const flows: LoadedFlow[] = [];
  const kept: LoadedFlow[] = [];
  const byId = new Map<string, (typeof candidates)[number][]>();
  for (const c of candidates) byId.set(c.loaded.flow.id, [...(byId.get(c.loaded.flow.id) ?? []), c]);
  for (const [id, claims] of byId) {
    const live = options.liveFile?.(id);
    const winner = claims.find((c) => c.loaded.file === live) ?? claims.find((c) => !c.fresh) ?? (claims[0] as (typeof claims)[number]);
    flows.push(winner.loaded);
    if (!winner.fresh) kept.push(winner.loaded);
    for (const loser of claims.filter((c) => c !== winner)) {
      problems.push({
        file: loser.loaded.file,
        line: 1,
        column: 1,
        message: `flow id "${id}" is also used by ${winner.loaded.file}, whose flow stays in use: give one of them another id`,
      });
      if (loser.fresh) failedFiles.push(loser.loaded.file);
    }
  }
  flows.sort((a, b) => a.file.localeCompare(b.file));

  const ids = new Set(flows.map((f) => f.flow.id));
  const failedIds = new Set(failedFiles.map((f) => /(?:^|\n)id:\s*([\w-]+)/.exec(sources.get(f) ?? '')?.[1]).filter(Boolean));
  for (const loaded of flows) {
    loaded.flow.steps.forEach((step, index) => {
      if (step.type === 'start_flow' && !ids.has(step.start_flow) && !failedIds.has(step.start_flow)) {
        problems.push({
          file: loaded.file,
          ...positionIn(loaded.source, ['steps', index, 'start_flow']),
          message: `starts flow "${step.start_flow}", which no file in ${dir} defines`,
        });
      }
    });
  }
  problems.push(...keywordClashes(flows));
  const defaults = flows.filter((f) => f.flow.triggers.some((t) => 'default' in t));
  if (defaults.length > 1)
    problems.push({
      file: (defaults[1] as LoadedFlow).file,
      line: 1,
      column: 1,
      message: `only one flow may have the default trigger; ${(defaults[0] as LoadedFlow).file} has it too`,
    });
  return { flows, problems, failedFiles, kept, files };
}

export interface RefusedFile {
  readonly file: string;
  /** The last good version of the file's flow, still in use; absent when there is none. */
  readonly inUse?: { readonly id: string; readonly version: string };
}

/**
 * The flows a running Parley uses. Loads a directory; a file that is refused (bad YAML, too
 * big, a duplicate id, ...) keeps its last good version, which is stored so that a restart
 * keeps it too. Every version loaded is stored as well, so that sessions started on an older
 * version keep running on it, across edits and restarts.
 */
export class FlowRegistry {
  #current = new Map<string, LoadedFlow>();
  readonly #versions = new Map<string, Flow>();
  /** The last good version of each file, by file; read from the database at the first reload. */
  readonly #lastGood = new Map<string, LoadedFlow>();
  #lastGoodRead = false;
  #watcher: FSWatcher | undefined;
  #reloadTimer: NodeJS.Timeout | undefined;
  #reloading: Promise<void> = Promise.resolve();
  #lastProblems: FlowProblem[] = [];
  #refused: RefusedFile[] = [];

  constructor(
    private readonly dir: string | undefined,
    private readonly db: Database | undefined,
    private readonly logger: Logger,
  ) {}

  /** A registry over flows already parsed (tests, the simulator). */
  static of(flows: readonly Flow[], logger: Logger, db?: Database): FlowRegistry {
    const registry = new FlowRegistry(undefined, db, logger);
    for (const flow of flows) {
      registry.#current.set(flow.id, { flow, file: `${flow.id}.yaml`, source: '' });
      registry.#versions.set(`${flow.id}@${flow.version}`, flow);
    }
    return registry;
  }

  get problems(): readonly FlowProblem[] {
    return this.#lastProblems;
  }

  /** Files refused at the last reload, and which version of their flow is in use instead. */
  get refused(): readonly RefusedFile[] {
    return this.#refused;
  }

  /** (Re)reads the directory; reloads run one after the other. */
  reload(): Promise<void> {
    this.#reloading = this.#reloading.then(
      () => this.#reload(),
      () => this.#reload(),
    );
    return this.#reloading;
  }

  async #reload(): Promise<void> {
    if (!this.dir) return;
    if (!this.#lastGoodRead) {
      await this.#readStoredLastGood();
      this.#lastGoodRead = true;
    }
    const result = readFlowDirectory(this.dir, {
      lastGood: (file) => this.#lastGood.get(file),
      liveFile: (id) => this.#current.get(id)?.file ?? [...this.#lastGood.values()].find((l) => l.flow.id === id)?.file,
    });
    const keptByFile = new Map(result.kept.map((l) => [l.file, l]));
    this.#lastProblems = result.problems;
    this.#refused = [...new Set(result.failedFiles)].map((file) => {
      const kept = keptByFile.get(file);
      return kept ? { file, inUse: { id: kept.flow.id, version: kept.flow.version } } : { file };
    });
    for (const problem of result.problems) {
      const kept = keptByFile.get(problem.file);
      this.logger.error(
        { problem: formatProblem(problem), ...(kept ? { inUse: `${kept.flow.id}@${kept.flow.version}` } : {}) },
        kept ? 'flow file refused; its last good version stays in use' : 'flow file refused',
      );
    }
    const fresh = result.flows.filter((l) => !keptByFile.has(l.file) && this.#lastGood.get(l.file)?.source !== l.source);
    const present = new Set(result.files);
    const gone = [...this.#lastGood.keys()].filter((file) => !present.has(file));
    const changed = result.flows.filter((l) => this.#current.get(l.flow.id)?.flow.version !== l.flow.version);
    this.#current = new Map(result.flows.map((l) => [l.flow.id, l]));
    for (const l of result.flows) this.#versions.set(`${l.flow.id}@${l.flow.version}`, l.flow);
    for (const l of fresh) this.#lastGood.set(l.file, l);
    for (const file of gone) this.#lastGood.delete(file);
    if (this.db && (changed.length > 0 || fresh.length > 0 || gone.length > 0)) {
      await writeRacingOtherProcesses(this.db, async (tx) => {
        for (const l of changed) {
          await tx.flowVersion.upsert({
            where: { flowId_version: { flowId: l.flow.id, version: l.flow.version } },
            create: { flowId: l.flow.id, version: l.flow.version, source: l.source, file: l.file },
            update: {},
          });
        }
        for (const l of fresh) {
          await tx.flowFileLastGood.upsert({
            where: { file: l.file },
            create: { file: l.file, flowId: l.flow.id, source: l.source },
            update: { flowId: l.flow.id, source: l.source },
          });
        }
        if (gone.length > 0) await tx.flowFileLastGood.deleteMany({ where: { file: { in: gone } } });
      });
    }
    if (changed.length > 0) this.logger.info(`flows loaded: ${changed.map((l) => `${l.flow.id}@${l.flow.version}`).join(', ')}`);
    for (const l of changed) this.logger.debug({ flow: l.flow.id, version: l.flow.version, file: l.file }, 'flow loaded');
  }

  async #readStoredLastGood(): Promise<void> {
    if (!this.db) return;
    for (const row of await this.db.prisma.flowFileLastGood.findMany()) {
      const parsed = parseFlowFile(row.file, row.source);
      if (parsed.ok) this.#lastGood.set(row.file, { flow: parsed.flow, file: row.file, source: row.source });
      else
        this.logger.warn(
          { file: row.file, problems: parsed.problems.map(formatProblem) },
          'the stored last good version of a flow file no longer passes validation',
        );
    }
  }

  /** Reloads when files change (debounced). */
  watch(): void {
    if (!this.dir || this.#watcher) return;
    try {
      if (!statSync(this.dir).isDirectory()) return;
      this.#watcher = watch(this.dir, () => {
        clearTimeout(this.#reloadTimer);
        this.#reloadTimer = setTimeout(() => void this.reload().catch((error: unknown) => this.logger.error({ err: error }, 'flow reload failed')), 200);
      });
    } catch (error) {
      this.logger.warn({ err: error, dir: this.dir }, 'cannot watch the flows directory; edits need a restart');
    }
  }

  close(): void {
    clearTimeout(this.#reloadTimer);
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  all(): Flow[] {
    return [...this.#current.values()].map((l) => l.flow);
  }

  get(flowId: string): Flow | undefined {
    return this.#current.get(flowId)?.flow;
  }

  /** The flow in use with its file and the text it was read from. */
  loaded(flowId: string): LoadedFlow | undefined {
    return this.#current.get(flowId);
  }

  /** The directory the flows are read from (undefined for a registry made with `of`). */
  get directory(): string | undefined {
    return this.dir;
  }

  /** A flow at a given version: in memory, else from the stored versions. */
  async version(flowId: string, version: string): Promise<Flow | undefined> {
    const key = `${flowId}@${version}`;
    const known = this.#versions.get(key);
    if (known) return known;
    if (!this.db) return undefined;
    const stored = await this.db.prisma.flowVersion.findUnique({ where: { flowId_version: { flowId, version } } });
    if (!stored) return undefined;
    const parsed = parseFlowFile(stored.file, stored.source);
    if (!parsed.ok) return undefined;
    this.#versions.set(key, parsed.flow);
    return parsed.flow;
  }

  /** Records a version loaded outside reload() (tests, FlowRegistry.of with a database). */
  async remember(loaded: LoadedFlow): Promise<void> {
    this.#current.set(loaded.flow.id, loaded);
    this.#versions.set(`${loaded.flow.id}@${loaded.flow.version}`, loaded.flow);
    if (this.db) {
      await this.db.run((client) =>
        client.flowVersion.upsert({
          where: { flowId_version: { flowId: loaded.flow.id, version: loaded.flow.version } },
          create: { flowId: loaded.flow.id, version: loaded.flow.version, source: loaded.source, file: loaded.file },
          update: {},
        }),
      );
    }
  }
}

/**
 * Processes that start together store the same flow versions at once: an upsert's insert can
 * then lose the race (unique violation). Its transaction is run again, and finds the row.
 */
async function writeRacingOtherProcesses(db: Database, write: (tx: Prisma) => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.write(write);
    } catch (error) {
      if ((error as { code?: string }).code !== 'P2002' || attempt >= 3) throw error;
    }
  }
}
