import { type FSWatcher, readdirSync, readFileSync, statSync, watch } from 'node:fs';
import { join, relative } from 'node:path';
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import type { Flow } from './schema.ts';
import { type FlowProblem, formatProblem, parseFlowFile, positionIn } from './validate.ts';

export interface LoadedFlow {
  readonly flow: Flow;
  readonly file: string;
  readonly source: string;
}

export interface DirectoryResult {
  readonly flows: LoadedFlow[];
  readonly problems: FlowProblem[];
  /** Files that failed, by the flow id they declare when it could be read. */
  readonly failedFiles: string[];
}

const isFlowFile = (name: string) => /\.ya?ml$/i.test(name);

/** Reads and checks every flow file of a directory, including rules across files. */
export function readFlowDirectory(dir: string, cwd = process.cwd()): DirectoryResult {
  let names: string[];
  try {
    names = readdirSync(dir).filter(isFlowFile).sort();
  } catch (error) {
    return {
      flows: [],
      problems: [{ file: dir, line: 1, column: 1, message: `cannot read the flows directory: ${(error as Error).message}` }],
      failedFiles: [],
    };
  }
  const flows: LoadedFlow[] = [];
  const problems: FlowProblem[] = [];
  const failedFiles: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const file = relative(cwd, path) || path;
    const source = readFileSync(path, 'utf8');
    const result = parseFlowFile(file, source);
    if (result.ok) flows.push({ flow: result.flow, file, source });
    else {
      problems.push(...result.problems);
      failedFiles.push(file);
    }
  }
  const seen = new Map<string, string>();
  for (const loaded of flows) {
    const first = seen.get(loaded.flow.id);
    if (first) problems.push({ file: loaded.file, line: 1, column: 1, message: `flow id "${loaded.flow.id}" is also used by ${first}` });
    else seen.set(loaded.flow.id, loaded.file);
  }
  const ids = new Set(flows.map((f) => f.flow.id));
  const failedIds = new Set(failedFiles.map((f) => /(?:^|\n)id:\s*([\w-]+)/.exec(readFileSafe(join(cwd, f)))?.[1]).filter(Boolean));
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
  const defaults = flows.filter((f) => f.flow.triggers.some((t) => 'default' in t));
  if (defaults.length > 1)
    problems.push({
      file: (defaults[1] as LoadedFlow).file,
      line: 1,
      column: 1,
      message: `only one flow may have the default trigger; ${(defaults[0] as LoadedFlow).file} has it too`,
    });
  return { flows, problems, failedFiles };
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/**
 * The flows a running Parley uses. Loads a directory, keeps the last good version of a flow
 * whose file turns bad, and stores every version it loads so that sessions started on an
 * older version keep running on it, across edits and restarts.
 */
export class FlowRegistry {
  #current = new Map<string, LoadedFlow>();
  readonly #versions = new Map<string, Flow>();
  #watcher: FSWatcher | undefined;
  #reloadTimer: NodeJS.Timeout | undefined;
  #lastProblems: FlowProblem[] = [];

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

  /** (Re)reads the directory. Bad files keep their last good version; says why in the log. */
  async reload(): Promise<void> {
    if (!this.dir) return;
    const result = readFlowDirectory(this.dir);
    this.#lastProblems = result.problems;
    for (const problem of result.problems) this.logger.error({ problem: formatProblem(problem) }, 'flow file rejected; the last good version stays in use');
    const next = new Map<string, LoadedFlow>();
    // A flow whose file failed keeps its last good version; a deleted file's flow goes away.
    for (const [id, loaded] of this.#current) if (result.failedFiles.includes(loaded.file)) next.set(id, loaded);
    const good = new Set<string>();
    for (const loaded of result.flows) {
      if (good.has(loaded.flow.id)) continue;
      good.add(loaded.flow.id);
      next.set(loaded.flow.id, loaded);
      this.#versions.set(`${loaded.flow.id}@${loaded.flow.version}`, loaded.flow);
    }
    const changed = [...next.values()].filter((l) => this.#current.get(l.flow.id)?.flow.version !== l.flow.version);
    this.#current = next;
    if (this.db && changed.length > 0) {
      const db = this.db;
      await db.write(async (tx) => {
        for (const l of changed) {
          await tx.flowVersion.upsert({
            where: { flowId_version: { flowId: l.flow.id, version: l.flow.version } },
            create: { flowId: l.flow.id, version: l.flow.version, source: l.source, file: l.file },
            update: {},
          });
        }
      });
    }
    if (changed.length > 0) this.logger.info(`flows loaded: ${changed.map((l) => `${l.flow.id}@${l.flow.version}`).join(', ')}`);
    for (const l of changed) this.logger.debug({ flow: l.flow.id, version: l.flow.version, file: l.file }, 'flow loaded');
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
