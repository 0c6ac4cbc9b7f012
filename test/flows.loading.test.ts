import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { FlowRegistry, MAX_FLOW_FILE_BYTES, readFlowDirectory } from '../src/flows/registry.ts';
import { Parley } from '../src/runtime.ts';
import { buildServer } from '../src/server/app.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';
import { FakeAdapter, silentLogger } from './support/parley.ts';

const run = promisify(execFile);

const flow = (id: string, text: string) => `id: ${id}
name: ${id}
locales: [en]
triggers:
  - keyword: [${id}]
steps:
  - id: hello
    say: "${text}"
`;

/** Nine levels of nine aliases: a few hundred bytes that expand to 9^9 strings. */
function billionLaughs(): string {
  const lines = ['id: rate', 'name: Rate', 'locales: [en]', 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (let i = 1; i <= 9; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 9 }, () => `*a${i - 1}`).join(', ')}]`);
  lines.push('steps:', '  - id: hello', '    say: *a9');
  return `${lines.join('\n')}\n`;
}

/** A valid flow file padded with a comment to 10 MB. */
const tenMegabytes = () => `${flow('rate', 'big')}# ${'x'.repeat(10 * 1024 * 1024)}\n`;

/** Waits for a condition the file watcher brings about (generous: the machine is busy). */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  expect(condition()).toBe(true);
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-flows-loading-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('reading a flows directory', () => {
  it('refuses a billion-laughs file with a clear error, and loads the other files', () => {
    writeFileSync(join(dir, 'rate.yaml'), billionLaughs());
    writeFileSync(join(dir, 'welcome.yaml'), flow('welcome', 'Hi'));
    const result = readFlowDirectory(dir);
    expect(result.flows.map((f) => f.flow.id)).toEqual(['welcome']);
    expect(result.failedFiles).toEqual([expect.stringMatching(/rate\.yaml$/)]);
    expect(result.problems.map((p) => `${p.file}: ${p.message}`)).toEqual([
      expect.stringMatching(/rate\.yaml: YAML: Excessive alias count .* \(at most 100 uses of anchors/),
    ]);
  });

  it('refuses a file over the size limit before reading it, and loads the other files', () => {
    writeFileSync(join(dir, 'rate.yaml'), tenMegabytes());
    writeFileSync(join(dir, 'welcome.yaml'), flow('welcome', 'Hi'));
    const result = readFlowDirectory(dir);
    expect(result.flows.map((f) => f.flow.id)).toEqual(['welcome']);
    expect(result.problems.map((p) => `${p.file}: ${p.message}`)).toEqual([
      expect.stringMatching(/rate\.yaml: the file is 10\.0 MB; a flow file may be at most 256 KB/),
    ]);
    expect(MAX_FLOW_FILE_BYTES).toBe(256 * 1024);
  });

  it('refuses the second file of a duplicate flow id, naming both files', () => {
    writeFileSync(join(dir, 'a.yaml'), flow('rate', 'first'));
    writeFileSync(join(dir, 'b.yaml'), flow('rate', 'second'));
    const result = readFlowDirectory(dir);
    expect(result.flows.map((f) => [f.file.replace(/.*\//, ''), f.flow.steps[0]])).toEqual([['a.yaml', expect.objectContaining({ say: 'first' })]]);
    expect(result.problems.map((p) => `${p.file}: ${p.message}`)).toEqual([
      expect.stringMatching(/b\.yaml: flow id "rate" is also used by .*a\.yaml, whose flow stays in use/),
    ]);
  });

  it('while watching, a billion-laughs file does not stop edits of another file from being picked up', async () => {
    writeFileSync(join(dir, 'welcome.yaml'), flow('welcome', 'Hi'));
    const registry = new FlowRegistry(dir, undefined, silentLogger);
    await registry.reload();
    registry.watch();
    try {
      writeFileSync(join(dir, 'rate.yaml'), billionLaughs());
      await until(() => registry.refused.length === 1);
      writeFileSync(join(dir, 'welcome.yaml'), flow('welcome', 'Hello again'));
      await until(() => (registry.get('welcome')?.steps[0] as { say?: unknown }).say === 'Hello again');
      expect(registry.refused).toEqual([{ file: expect.stringMatching(/rate\.yaml$/) }]);
    } finally {
      registry.close();
    }
  }, 60_000);

  it('`parley flows validate` reports every refused file and exits 1', async () => {
    writeFileSync(join(dir, 'laughs.yaml'), billionLaughs());
    writeFileSync(join(dir, 'big.yaml'), tenMegabytes());
    writeFileSync(join(dir, 'welcome.yaml'), flow('welcome', 'Hi'));
    writeFileSync(join(dir, 'welcome2.yaml'), flow('welcome', 'Hello'));
    const failure = (await run(process.execPath, ['bin/parley.js', 'flows', 'validate', dir]).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(failure.code).toBe(1);
    expect(failure.stderr).toMatch(/big\.yaml:1:1: the file is 10\.0 MB/);
    expect(failure.stderr).toMatch(/laughs\.yaml:1:1: YAML: Excessive alias count/);
    expect(failure.stderr).toMatch(/welcome2\.yaml:1:1: flow id "welcome" is also used by .*welcome\.yaml/);
    expect(failure.stderr).toMatch(/refused \(Parley keeps their last good version\): .*big\.yaml, .*laughs\.yaml, .*welcome2\.yaml/);
  }, 60_000);
});

describe.each(dialects)('a running registry on %s', (dialect) => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await freshDatabase(dialect);
  });
  afterEach(async () => {
    await db.dispose();
  });

  const sayOf = (registry: FlowRegistry, id: string) => (registry.get(id)?.steps[0] as { say?: unknown } | undefined)?.say;

  it('several processes starting together store the same flow versions without a unique-key failure', async () => {
    for (const id of ['rate', 'welcome', 'menu']) writeFileSync(join(dir, `${id}.yaml`), flow(id, `Hi from ${id}`));
    const registries = Array.from({ length: 4 }, () => new FlowRegistry(dir, db, silentLogger));
    await Promise.all(registries.map((r) => r.reload()));
    for (const r of registries)
      expect(
        r
          .all()
          .map((f) => f.id)
          .sort(),
      ).toEqual(['menu', 'rate', 'welcome']);
    expect(await db.prisma.flowVersion.count()).toBe(3);
    expect(await db.prisma.flowFileLastGood.count()).toBe(3);
  });

  it.each([
    ['a billion-laughs file', billionLaughs],
    ['a 10 MB file', tenMegabytes],
  ])('keeps the last good version of %s, takes edits of the other files, and keeps it across a restart', async (_, bad) => {
    writeFileSync(join(dir, 'rate.yaml'), flow('rate', 'Rate us'));
    writeFileSync(join(dir, 'welcome.yaml'), flow('welcome', 'Hi'));
    const registry = new FlowRegistry(dir, db, silentLogger);
    await registry.reload();
    const good = registry.get('rate')?.version;

    writeFileSync(join(dir, 'rate.yaml'), bad());
    await registry.reload();
    writeFileSync(join(dir, 'welcome.yaml'), flow('welcome', 'Hello again'));
    await registry.reload();
    expect(sayOf(registry, 'welcome')).toBe('Hello again');
    expect(registry.get('rate')?.version).toBe(good);
    expect(registry.refused).toEqual([{ file: expect.stringMatching(/rate\.yaml$/), inUse: { id: 'rate', version: good } }]);

    // A restart: Parley opens on the same directory and database, and reads the flows itself.
    const restarted = await Parley.open({
      config: loadConfig({ DATABASE_URL: db.url, PARLEY_FLOWS_DIR: dir, PARLEY_API_TOKEN: 'flows-token', PARLEY_DEFAULT_REGION: 'IR' }),
      logger: silentLogger,
      channels: [],
      adapters: [new FakeAdapter()],
      database: db,
    });
    try {
      expect(restarted.flows.get('rate')?.version).toBe(good);
      expect(sayOf(restarted.flows, 'rate')).toBe('Rate us');
      expect(sayOf(restarted.flows, 'welcome')).toBe('Hello again');
      const app = await buildServer(restarted);
      const listed = (await app.inject({ method: 'GET', url: '/api/v1/flows', headers: { authorization: 'Bearer flows-token' } })).json();
      await app.close();
      expect(listed.flows.map((f: { id: string }) => f.id).sort()).toEqual(['rate', 'welcome']);
      expect(listed.refused).toEqual([{ file: expect.stringMatching(/rate\.yaml$/), inUse: { id: 'rate', version: good } }]);
      expect(listed.problems).toEqual([expect.stringMatching(/rate\.yaml:1:1: /)]);
    } finally {
      await restarted.stop();
    }
  });

  it('refuses a new file that reuses a live flow id, naming both files, and keeps the live one across a restart', async () => {
    writeFileSync(join(dir, 'rate.yaml'), flow('rate', 'the live one'));
    const lines: string[] = [];
    const registry = new FlowRegistry(dir, db, pino({ level: 'info' }, { write: (line: string) => lines.push(line) }));
    await registry.reload();
    // Sorts before rate.yaml: without knowing which file is live it would win.
    writeFileSync(join(dir, 'a-copy.yaml'), flow('rate', 'a copy'));
    await registry.reload();
    expect(sayOf(registry, 'rate')).toBe('the live one');
    expect(registry.refused).toEqual([{ file: expect.stringMatching(/a-copy\.yaml$/) }]);
    expect(lines.join('\n')).toMatch(/a-copy\.yaml:1:1: flow id \\"rate\\" is also used by [^"]*rate\.yaml, whose flow stays in use.*flow file refused/);

    const restarted = new FlowRegistry(dir, db, silentLogger);
    await restarted.reload();
    expect(sayOf(restarted, 'rate')).toBe('the live one');
    expect(restarted.refused).toEqual([{ file: expect.stringMatching(/a-copy\.yaml$/) }]);
  });

  it('forgets the stored version of a deleted file: a bad file of that name later has none', async () => {
    writeFileSync(join(dir, 'rate.yaml'), flow('rate', 'Rate us'));
    const registry = new FlowRegistry(dir, db, silentLogger);
    await registry.reload();
    expect(await db.prisma.flowFileLastGood.count()).toBe(1);
    rmSync(join(dir, 'rate.yaml'));
    await registry.reload();
    expect(registry.get('rate')).toBeUndefined();
    expect(await db.prisma.flowFileLastGood.count()).toBe(0);
    writeFileSync(join(dir, 'rate.yaml'), billionLaughs());
    const restarted = new FlowRegistry(dir, db, silentLogger);
    await restarted.reload();
    expect(restarted.get('rate')).toBeUndefined();
    expect(restarted.refused).toEqual([{ file: expect.stringMatching(/rate\.yaml$/) }]);
  });
});
