import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { FlowRegistry } from '../src/flows/registry.ts';
import { Parley } from '../src/runtime.ts';
import { buildServer } from '../src/server/app.ts';
import { dialects, freshDatabase } from './support/databases.ts';
import { FakeAdapter, silentLogger } from './support/parley.ts';

const TOKEN = 'openapi-test-token';
const auth = { authorization: `Bearer ${TOKEN}` };

/** A server on a fresh database with the shipped flows; its log lines are kept in `lines`. */
async function server(dialect: 'sqlite' | 'postgresql') {
  const db = await freshDatabase(dialect);
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const flows = new FlowRegistry('flows', db, silentLogger);
  await flows.reload();
  const parley = await Parley.open({
    config: loadConfig({ PARLEY_API_TOKEN: TOKEN, PARLEY_DEFAULT_REGION: 'IR', PARLEY_TEMPLATES_FILE: 'examples/templates.yaml' }),
    logger: pino({ level: 'info' }, sink),
    channels: [],
    adapters: [new FakeAdapter()],
    flows,
    database: db,
  });
  const app = await buildServer(parley);
  return {
    app,
    lines,
    async close() {
      await app.close();
      await parley.stop();
      await db.dispose();
    },
  };
}

/** Every route the server answers, from Fastify's own route table (`GET /api/v1/customers/:id`). */
function registeredRoutes(app: FastifyInstance): string[] {
  const routes: string[] = [];
  const tree = app.printRoutes({ commonPrefix: false });
  let stack: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│ ]*)[└├]── (\S+?)(?: \(([^)]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = (match[1] as string).length / 4;
    stack = [...stack.slice(0, depth), match[2] as string];
    for (const method of match[3]?.split(', ') ?? []) routes.push(`${method} ${stack.join('')}`);
  }
  return routes;
}

/** A prefix's root route answers with and without the trailing slash (Fastify's prefixTrailingSlash): one route. */
function unique(routes: string[]): string[] {
  return [...new Set(routes.map((r) => r.replace(/(.)\/$/, '$1')))].sort();
}

describe('the REST API described by OpenAPI', () => {
  let s: Awaited<ReturnType<typeof server>>;
  beforeAll(async () => {
    s = await server('sqlite');
  }, 60_000);
  afterAll(async () => s?.close());

  it('has every route under /api/v1 in /api/v1/openapi.json, with its parameters', async () => {
    const response = await s.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(document.openapi).toBe('3.1.0');
    const documented = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    const served = registeredRoutes(s.app).filter(
      (r) => r.includes(' /api/v1') && !r.startsWith('HEAD ') && !r.includes('/api/v1/docs') && !r.endsWith('/api/v1/openapi.json'),
    );
    expect(served.length).toBeGreaterThan(20);
    expect(served).toContain('POST /api/v1/conversations/:id/reply');
    expect(unique(documented)).toEqual(unique(served));
    const list = document.paths['/api/v1/conversations'].get;
    expect(list.parameters.find((p: { name: string }) => p.name === 'status').schema.enum).toEqual([
      'bot',
      'waiting_for_agent',
      'assigned',
      'waiting_for_customer',
      'resolved',
    ]);
    expect(document.paths['/api/v1/conversations/{id}/reply'].post.requestBody.content['application/json'].schema.required).toEqual(['agentId']);
  });

  it('answers GET /api/v1 with an index of the API, and renders a reference page, without the token', async () => {
    const index = await s.app.inject({ method: 'GET', url: '/api/v1' });
    expect(index.statusCode).toBe(200);
    expect(index.json()).toMatchObject({ openapi: '/api/v1/openapi.json', reference: '/api/v1/docs' });
    expect(index.json().routes).toContainEqual({ method: 'GET', path: '/api/v1/reports', summary: expect.stringContaining('CSAT') });
    const page = await s.app.inject({ method: 'GET', url: '/api/v1/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('swagger-ui');
    const protectedRoute = await s.app.inject({ method: 'GET', url: '/api/v1/conversations' });
    expect(protectedRoute.statusCode).toBe(401);
  });

  it('lists the WhatsApp templates of PARLEY_TEMPLATES_FILE', async () => {
    const response = await s.app.inject({ method: 'GET', url: '/api/v1/templates', headers: auth });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ configured: true, fallbackLanguages: ['en'] });
    expect(body.templates.map((t: { name: string; purpose: string }) => `${t.name}:${t.purpose}`)).toEqual([
      'we_have_a_reply:reply',
      'winback_offer:winback',
      'welcome_new_customer:welcome',
    ]);
    expect(body.templates[1].languages.fa.body).toMatch(/^سلام \{\{1\}\}،/);
  });

  it('rejects a request that does not match its schema with a 400 naming the field', async () => {
    const response = await s.app.inject({ method: 'GET', url: '/api/v1/conversations?status=bogus', headers: auth });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toMatch(/^query: status: /);
  });

  it('logs one line per request and none for health probes', async () => {
    s.lines.length = 0;
    await s.app.inject({ method: 'GET', url: '/healthz' });
    await s.app.inject({ method: 'GET', url: '/readyz' });
    await s.app.inject({ method: 'GET', url: '/api/v1/customers/nobody', headers: auth });
    await s.app.inject({ method: 'GET', url: '/no/such/page' });
    const messages = s.lines.filter((l) => l.part === 'http').map((l) => String(l.msg).replace(/ \d+ms$/, ''));
    expect(messages).toEqual(['GET /api/v1/customers/:id 404', 'GET /no/such/page 404']);
  });
});

describe.each(dialects)('the one duration format over the API on %s', (dialect) => {
  let s: Awaited<ReturnType<typeof server>>;
  beforeAll(async () => {
    s = await server(dialect);
  }, 60_000);
  afterAll(async () => s?.close());

  it('takes a duration or an ISO date for since, and says what works otherwise', async () => {
    for (const since of ['7d', '2w', '30m', '2026-01-01']) {
      const response = await s.app.inject({ method: 'GET', url: `/api/v1/flows/complaint/stats?since=${since}`, headers: auth });
      expect(response.statusCode, since).toBe(200);
      expect(response.json().stats.sessions.started).toBe(0);
    }
    const bad = await s.app.inject({ method: 'GET', url: '/api/v1/flows/complaint/stats?since=7', headers: auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toBe(
      'query.since: "7" is neither a duration (a number and a unit (ms, s, m, h, d, w), e.g. 30m, 24h, 7d, 2w) nor an ISO date such as 2026-01-31',
    );
    const report = await s.app.inject({ method: 'GET', url: '/api/v1/reports?since=2w', headers: auth });
    expect(report.statusCode).toBe(200);
    expect(Date.now() - Date.parse(report.json().report.since)).toBeGreaterThan(13 * 86_400_000);
  }, 60_000);
});
