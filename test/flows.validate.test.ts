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
    expect(flows.map((f) => f.flow.id).sort()).toEqual([
      'complaint',
      'cross_sell',
      'csat',
      'main_menu',
      'nps',
      'ticket_satisfaction',
      'welcome',
      'welcome_tips',
      'winback',
    ]);
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
      'bad.yaml:6:5: unknown step type "sya": a step needs one of say, ask, branch, set, tag, untag, key_customer, ticket, survey, handoff, goto, wait, webhook, classify, start_flow, end',
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
    expect(ok.stdout).toMatch(/^9 flows OK/);
  }, 60_000);
});

describe('flow validation finds what the runtime would get wrong', () => {
  const flowFile = (lines: string[]) => ['id: demo', 'name: Demo', 'locales: [en]', ...lines].join('\n');

  it('a webhook URL that is not http(s)', () => {
    const source = flowFile(['steps:', '  - id: call', '    webhook:', '      url: htp:/example.com/{{customer.name}}', '  - id: done', '    end: true']);
    expect(problemsOf(source)).toEqual(['bad.yaml:7:12: "htp:/example.com/{{customer.name}}" is not an http(s) URL (write it as https://host/path)']);
    expect(problemsOf(source.replace('htp:/example.com', 'https://example.com'))).toEqual([]);
  });

  it('a variable read before the step that sets it, on any path', () => {
    const source = flowFile([
      'steps:',
      '  - id: hello', //                                         5
      "    say: 'Hi {{customer.name}} ({{ticket_ref}})!'",
      '  - id: ticket', //                                        7
      '    ticket: { kind: complaint, subject: Complaint }',
      '  - id: ask_more', //                                      9
      '    ask: { type: yes_no, text: More?, save: more, fallback: bye }',
      '  - id: tell', //                                          11
      "    say: 'Noted {{ticket_ref}}: {{more}}'",
      '  - id: bye', //                                           13
      "    end: { say: 'Bye {{more}}' }",
    ]);
    expect(problemsOf(source)).toEqual([
      'bad.yaml:5:9: reads {{ticket_ref}} before it is set on every path (it is set at step "ticket"), so it may show empty',
      'bad.yaml:13:9: reads {{more}} before it is set on every path (it is set at step "ask_more"), so it may show empty',
    ]);
  });

  it('reports the step problems of a file whose header is also wrong, in one run', () => {
    const source = ['id: demo', 'locales: [en]', 'steps:', '  - id: one', '    goto: nowhere'].join('\n');
    expect(problemsOf(source)).toEqual(['bad.yaml:1:1: missing required field "name"', 'bad.yaml:5:11: goes to "nowhere", which is not a step of this flow']);
  });

  it('a keyword that starts two flows, with both files named', () => {
    const dir = mkdtempSync(join(scratch, 'clash-'));
    const flow = (id: string, keywords: string) =>
      [`id: ${id}`, `name: ${id}`, 'locales: [en, fa]', 'triggers:', `  - keyword: ${keywords}`, 'steps:', '  - id: hi', '    say: hi'].join('\n');
    writeFileSync(join(dir, 'a.yaml'), flow('refunds', '{ en: [refund], fa: [بازپرداخت] }'));
    writeFileSync(join(dir, 'b.yaml'), flow('billing', '{ en: [invoice, Refund], fa: [صورتحساب] }'));
    const { problems } = readFlowDirectory(dir, dir);
    expect(problems.map(formatProblem)).toEqual(['b.yaml:5:14: keyword "Refund" also starts flow "refunds" (a.yaml); a keyword may start one flow only']);
  });
});

describe('flows simulate', () => {
  it('shows webhooks without calling them unless live', async () => {
    const { createServer } = await import('node:http');
    const { simulateFlow } = await import('../src/flows/simulator.ts');
    const { loadConfig } = await import('../src/config.ts');
    const { consoleChannel } = await import('../channels/console/index.ts');
    const { silentLogger } = await import('./support/parley.ts');
    let calls = 0;
    const server = createServer((_req, res) => {
      calls++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"order":"shipped"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/orders`;
    const dir = mkdtempSync(join(scratch, 'hook-'));
    writeFileSync(
      join(dir, 'track.yaml'),
      [
        'id: track',
        'name: Track',
        'locales: [en]',
        'steps:',
        '  - id: look',
        '    webhook:',
        `      url: ${url}`,
        '      method: POST',
        '  - id: done',
        '    end: true',
      ].join('\n'),
    );
    const simulate = async (live: boolean) => {
      const hooks: string[] = [];
      await simulateFlow(
        {
          config: loadConfig({}),
          logger: silentLogger,
          channels: [],
          dir,
          flowId: 'track',
          locale: 'en',
          channel: 'console',
          capabilities: consoleChannel.capabilities,
          live,
          onWebhook: (method, hookUrl) => hooks.push(`${method} ${hookUrl}`),
          print: () => {},
        },
        [],
      );
      return hooks;
    };
    try {
      expect(await simulate(false)).toEqual([`POST ${url}`]);
      expect(calls).toBe(0);
      expect(await simulate(true)).toEqual([]);
      expect(calls).toBe(1);
    } finally {
      server.close();
    }
  }, 60_000);
});
