import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FlowRegistry } from '../src/flows/registry.ts';
import type { Parley } from '../src/runtime.ts';
import { buildServer } from '../src/server/app.ts';
import { freshDatabase, type TestDatabase } from './support/databases.ts';
import { FakeAdapter, settle, silentLogger, testParley } from './support/parley.ts';

const TOKEN = 'flows-token';
const auth = { authorization: `Bearer ${TOKEN}` };
const RATE = (text: string) => `id: rate
name: Rate
locales: [en]
steps:
  - id: score
    ask: { type: rating, text: "${text}", save: score }
  - id: record
    survey: { kind: csat, score: score }
`;

describe('flows over the API and hot reload', () => {
  let db: TestDatabase;
  let parley: Parley;
  let app: FastifyInstance;
  let dir: string;
  let adapter: FakeAdapter;

  beforeEach(async () => {
    db = await freshDatabase('sqlite');
    dir = mkdtempSync(join(tmpdir(), 'parley-flows-api-'));
    writeFileSync(join(dir, 'rate.yaml'), RATE('Rate us from 1 to 5'));
    const registry = new FlowRegistry(dir, db, silentLogger);
    await registry.reload();
    adapter = new FakeAdapter();
    parley = await testParley(db, { adapters: [adapter], flows: registry, env: { PARLEY_API_TOKEN: TOKEN } });
    await parley.startChannels();
    app = await buildServer(parley);
  });
  afterEach(async () => {
    await app.close();
    await parley.stop();
    await db.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts a flow in a conversation, then reports its stats per step', async () => {
    await adapter.context!.receive({ externalId: 'm1', sender: { address: '+989121234567', addressKind: 'phone' }, text: 'hi', raw: {} });
    await settle(parley);
    const conversation = await db.prisma.conversation.findFirstOrThrow();
    const started = await app.inject({ method: 'POST', url: `/api/v1/conversations/${conversation.id}/flows`, headers: auth, payload: { flowId: 'rate' } });
    expect(started.statusCode).toBe(202);
    await settle(parley);
    expect(adapter.sent.at(-1)?.content.text).toBe('Rate us from 1 to 5');
    await adapter.context!.receive({
      externalId: 'm2',
      sender: { address: '+989121234567', addressKind: 'phone' },
      text: 'blue',
      raw: {},
    });
    await adapter.context!.receive({ externalId: 'm3', sender: { address: '+989121234567', addressKind: 'phone' }, text: '۴', raw: {} });
    await settle(parley);
    const stats = await app.inject({ method: 'GET', url: '/api/v1/flows/rate/stats', headers: auth });
    expect(stats.json().stats).toEqual({
      flowId: 'rate',
      sessions: { started: 1, active: 0, completed: 1, abandoned: 0 },
      steps: [
        { stepId: 'score', counts: { entered: 1, answered: 1, invalid: 1, timed_out: 0, dropped: 0, completed: 0 } },
        { stepId: 'record', counts: { entered: 1, answered: 0, invalid: 0, timed_out: 0, dropped: 0, completed: 1 } },
      ],
    });
    const unknown = await app.inject({ method: 'POST', url: `/api/v1/conversations/${conversation.id}/flows`, headers: auth, payload: { flowId: 'nope' } });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().error.message).toContain('no flow "nope" is loaded');
  });

  it('keeps the last good version of a flow whose file turns bad, and says why', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const registry = new FlowRegistry(dir, db, logger);
    await registry.reload();
    const good = registry.get('rate')?.version;
    writeFileSync(join(dir, 'rate.yaml'), RATE('Rate us').replace('type: rating', 'type: ratting'));
    await registry.reload();
    expect(registry.get('rate')?.version).toBe(good);
    expect(lines.join('\n')).toMatch(/rate\.yaml:6:\d+: .*flow file refused; its last good version stays in use/s);
    writeFileSync(join(dir, 'rate.yaml'), RATE('How did we do?'));
    await registry.reload();
    const next = registry.get('rate');
    expect(next?.version).not.toBe(good);
    // Every version loaded is stored, so sessions on the old one keep running after a restart.
    expect((await db.prisma.flowVersion.findMany({ where: { flowId: 'rate' } })).map((v) => v.version).sort()).toEqual([good, next?.version].sort());
    const listed = await app.inject({ method: 'GET', url: '/api/v1/flows', headers: auth });
    expect(listed.json().flows.map((f: { id: string }) => f.id)).toEqual(['rate']);
  });
});
