import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { readFlowDirectory } from '../src/flows/registry.ts';
import { flowJsonSchema } from '../src/flows/schema.ts';
import { formatProblem, parseFlowFile } from '../src/flows/validate.ts';

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'parley-flows-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const problemsOf = (source: string) => {
  const result = parseFlowFile('bad.yaml', source);
  return result.ok ? [] : result.problems.map(formatProblem);
};

describe('flow validation', () => {
  it('accepts every shipped flow', () => {
    const { flows, problems } = readFlowDirectory('flows');
    expect(problems.map(formatProblem)).toEqual([]);
    expect(flows.map((f) => f.flow.id).sort()).toEqual(['complaint', 'csat', 'main_menu', 'nps', 'welcome', 'winback']);
    for (const { flow } of flows) expect(flow.locales).toEqual(['en', 'fa', 'ar']);
  });

  it('names an unknown step type, a go-to to a missing step and a missing translation with their lines', () => {
    const source = [
      'id: demo', //                                      1
      'name: Demo', //                                    2
      'locales: [en, fa]', //                             3
      'steps:', //                                        4
      '  - id: hello', //                                 5
      '    sya: { en: Hi, fa: سلام }', //                 6
      '  - id: ask_rating', //                            7
      '    ask:', //                                      8
      '      type: rating', //                            9
      '      text: { en: Rate us }', //                   10
      '      save: rating', //                            11
      '  - id: jump', //                                  12
      '    goto: finsh', //                               13
      '  - id: finish', //                                14
      '    end: true', //                                 15
    ].join('\n');
    expect(problemsOf(source)).toEqual([
      'bad.yaml:6:5: unknown step type "sya": a step needs one of say, ask, branch, set, tag, untag, ticket, survey, handoff, goto, wait, webhook, classify, start_flow, end',
    ]);
    const fixed = source.replace('sya:', 'say:');
    expect(problemsOf(fixed)).toEqual([
      'bad.yaml:13:11: goes to "finsh", which is not a step of this flow (did you mean "finish"?)',
      'bad.yaml:14:9: step "finish" can never be reached: no step goes to it',
      'bad.yaml:10:13: missing translation for fa (the flow supports en, fa)',
    ]);
  });

  it('finds unreachable steps, loops that never ask, bad template variables and bad fields', () => {
    const source = [
      'id: demo', //                                      1
      'name: Demo', //                                    2
      'locales: [en]', //                                 3
      'steps:', //                                        4
      '  - id: start', //                                 5
      '    say: "Hello {{customer.name}}, your code is {{cod}}"', // 6
      '  - id: spin', //                                  7
      '    goto: spin_back', //                           8
      '  - id: spin_back', //                             9
      '    goto: spin', //                                10
      '  - id: orphan', //                                11
      '    say: never said', //                           12
      '    colour: red', //                               13
    ].join('\n');
    expect(problemsOf(source)).toEqual(['bad.yaml:13:5: unknown field "colour"']);
    expect(problemsOf(source.replace('    colour: red\n', '').replace(/\n {4}colour: red$/, ''))).toEqual([
      'bad.yaml:11:9: step "orphan" can never be reached: no step goes to it',
      'bad.yaml:7:9: steps "spin" -> "spin_back" loop forever without asking anything: add an ask or a wait to the loop',
      'bad.yaml:6:10: template variable {{cod}} is never set in this flow',
    ]);
  });

  it('reports YAML syntax errors and wrong values at their position', () => {
    expect(problemsOf('id: demo\nname: [unclosed\n')[0]).toMatch(/^bad\.yaml:\d+:\d+: YAML: /);
    const wrong = ['id: Demo Flow', 'name: x', 'locales: [en]', 'steps:', '  - id: a', '    wait: soon'].join('\n');
    expect(problemsOf(wrong)).toEqual([
      'bad.yaml:1:5: use lowercase letters, digits, - and _, starting with a letter',
      'bad.yaml:6:11: not a duration: use a number and a unit, e.g. 30s, 15m, 24h, 7d',
    ]);
  });

  it('names a start_flow to a flow no file defines, at that step', () => {
    const dir = mkdtempSync(join(scratch, 'missing-'));
    writeFileSync(
      join(dir, 'menu.yaml'),
      ['id: menu', 'name: Menu', 'locales: [en]', 'steps:', '  - id: hello', '    say: Hi', '  - id: go', '    start_flow: complaint'].join('\n'),
    );
    const { problems } = readFlowDirectory(dir, dir);
    expect(problems.map(formatProblem)).toEqual([`menu.yaml:8:17: starts flow "complaint", which no file in ${dir} defines`]);
  });

  it('exports a JSON Schema editors can use', () => {
    const schema = flowJsonSchema() as { properties: Record<string, unknown>; required: string[] };
    expect(schema.required).toEqual(expect.arrayContaining(['id', 'name', 'locales', 'steps']));
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['triggers', 'settings', 'steps']));
    expect(JSON.stringify(schema)).toContain('"nps"');
  });

  it('`parley flows validate` prints file:line:column and exits 1; 0 for the shipped flows', async () => {
    writeFileSync(join(scratch, 'broken.yaml'), ['id: broken', 'name: Broken', 'locales: [en]', 'steps:', '  - id: a', '    goto: nowhere'].join('\n'));
    const failure = (await run(process.execPath, ['bin/parley.js', 'flows', 'validate', scratch]).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(failure.code).toBe(1);
    expect(failure.stderr).toContain('broken.yaml:6:11: goes to "nowhere", which is not a step of this flow');
    expect(failure.stderr).toContain('1 problem in');
    const ok = await run(process.execPath, ['bin/parley.js', 'flows', 'validate', 'flows']);
    expect(ok.stdout).toMatch(/^6 flows OK/);
  }, 60_000);
});
