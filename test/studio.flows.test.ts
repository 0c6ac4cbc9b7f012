import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { channels } from '../channels/index.ts';
import { newId } from '../src/core/ids.ts';
import { FlowRegistry } from '../src/flows/registry.ts';
import { formatProblem, parseFlowFile } from '../src/flows/validate.ts';
import type { Parley } from '../src/runtime.ts';
import { buildServer } from '../src/server/app.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';
import { silentLogger, testParley } from './support/parley.ts';
import { logIn, type StudioLogin, studioUser } from './support/studio.ts';

const SHIPPED = join(import.meta.dirname, '..', 'flows');

describe.each(dialects)('the studio flows API on %s', (dialect) => {
  let db: TestDatabase;
  let parley: Parley;
  let app: FastifyInstance;
  let dir: string;
  let file: string;
  let marketer: StudioLogin;

  beforeEach(async () => {
    db = await freshDatabase(dialect);
    dir = mkdtempSync(join(tmpdir(), 'parley-studio-flows-'));
    for (const name of readdirSync(SHIPPED)) copyFileSync(join(SHIPPED, name), join(dir, name));
    file = relative(process.cwd(), join(dir, 'complaint.yaml'));
    const registry = new FlowRegistry(dir, db, silentLogger);
    await registry.reload();
    parley = await testParley(db, { flows: registry, channels });
    app = await buildServer(parley);
    await studioUser(db, 'mina@example.com', 'marketer');
    await studioUser(db, 'boss@example.com', 'manager');
    await studioUser(db, 'ali@example.com', 'agent');
    marketer = await logIn(app, 'mina@example.com');
  }, 120_000);
  afterEach(async () => {
    await app.close();
    await parley.stop();
    await db.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (url: string, who: StudioLogin = marketer) => app.inject({ method: 'GET', url, headers: who.read });
  const post = (url: string, payload: unknown, who: StudioLogin = marketer) =>
    app.inject({ method: 'POST', url, headers: who.write, payload: payload as object });

  it('lists the flows loaded with their live version and running sessions, and the files refused and why', async () => {
    const list = (await get('/studio/api/flows')).json();
    const complaint = list.flows.find((f: { id: string }) => f.id === 'complaint');
    expect(complaint).toEqual({ id: 'complaint', name: 'Complaint intake', file, status: 'loaded', sessionsRunning: 0, live: 1, draft: null });
    expect(list.refused).toEqual([]);
  });

  it('shows a flow as YAML and graph: every step a node with its texts per locale and options, go-tos as edges', async () => {
    const flow = (await get('/studio/api/flows/complaint')).json();
    expect(flow.yaml).toBe(readFileSync(join(dir, 'complaint.yaml'), 'utf8'));
    expect(flow.valid).toBe(true);
    expect(flow.version).toMatchObject({ number: 1, status: 'live', note: `read from ${file}` });
    const ids = flow.graph.nodes.map((n: { id: string }) => n.id);
    expect(ids).toEqual(['category', 'describe', 'order', 'register', 'confirm', 'to_support', 'handoff']);
    const category = flow.graph.nodes[0];
    expect(category.texts[0]).toEqual({
      field: 'ask.text',
      locales: {
        en: "I'm sorry something went wrong. What is it about?",
        fa: 'متأسفیم که مشکلی پیش آمده. موضوع آن چیست؟',
        ar: 'نأسف لحدوث مشكلة. ما موضوعها؟',
      },
    });
    expect(category.options.fa).toEqual(['ارسال و تحویل', 'کیفیت محصول', 'پرداخت و صورتحساب', 'برخورد و خدمات', 'موضوع دیگر']);
    expect(category.settings).toMatchObject({ 'ask.type': 'choice', 'ask.save': 'category' });
    expect(flow.graph.edges).toContainEqual({ from: 'category', to: 'describe', label: '' });
    expect(flow.graph.edges).toContainEqual({ from: 'to_support', to: 'handoff', label: '' });
  });

  it('saves a Persian text as a new draft, keeping comments and every other byte; the diff shows the one line', async () => {
    const before = readFileSync(join(dir, 'complaint.yaml'), 'utf8');
    const saved = await post('/studio/api/flows/complaint/drafts', { stepId: 'describe', locale: 'fa', text: 'لطفاً بنویسید چه شد.' });
    expect(saved.statusCode).toBe(201);
    const body = saved.json();
    expect(body.version).toMatchObject({ number: 2, status: 'draft', createdBy: 'mina@example.com' });
    expect(body.yaml).toBe(before.replace('fa: لطفاً بگویید چه اتفاقی افتاده است. می‌توانید عکس یا فایل هم بفرستید.', 'fa: لطفاً بنویسید چه شد.'));
    expect(body.graph.nodes[1].texts[0].locales.fa).toBe('لطفاً بنویسید چه شد.');
    // The file stays as it was until the draft is published.
    expect(readFileSync(join(dir, 'complaint.yaml'), 'utf8')).toBe(before);

    const diff = (await get('/studio/api/flows/complaint/diff?from=1&to=2')).json().diff as string;
    expect(diff).toContain('-        fa: لطفاً بگویید چه اتفاقی افتاده است. می‌توانید عکس یا فایل هم بفرستید.\n+        fa: لطفاً بنویسید چه شد.\n');
    expect((await get('/studio/api/flows/complaint')).json().version).toMatchObject({ number: 2, status: 'draft' });
  });

  it('validates as parley flows validate does, with each problem on its step; refuses to publish a broken draft', async () => {
    const saved = (await post('/studio/api/flows/complaint/drafts', { stepId: 'order', settings: { next: 'nowhere' } })).json();
    expect(saved.valid).toBe(false);
    const cli = parseFlowFile(file, saved.yaml);
    expect(cli.ok).toBe(false);
    const expected = cli.ok ? [] : cli.problems.map(formatProblem);
    expect(saved.problems).toEqual(expected);
    expect(expected.some((p) => p.includes('goes to "nowhere", which is not a step of this flow'))).toBe(true);
    const order = saved.graph.nodes.find((n: { id: string }) => n.id === 'order');
    expect(order.errors.some((e: string) => e.startsWith(`${file}:`) && e.includes('goes to "nowhere"'))).toBe(true);

    const live = await post('/studio/api/flows/complaint/validate', { yaml: saved.yaml });
    expect(live.json().problems).toEqual(expected);

    const publish = await post(`/studio/api/flows/complaint/versions/${saved.version.number}/publish`, {});
    expect(publish.statusCode).toBe(422);
    expect(publish.json().error.message).toMatch(/^version 2 does not validate: .*goes to "nowhere"/);
  });

  it('publishes a draft to the file and the registry; rolls back as a new version; tells which version running sessions are on', async () => {
    const draft = (await post('/studio/api/flows/complaint/drafts', { stepId: 'confirm', locale: 'en', text: 'Thanks! Reference {{ticket_ref}}.' })).json();
    const published = await post(`/studio/api/flows/complaint/versions/${draft.version.number}/publish`, {});
    expect(published.json().version).toMatchObject({ number: 2, status: 'live' });
    expect(readFileSync(join(dir, 'complaint.yaml'), 'utf8')).toBe(draft.yaml);
    expect(parley.flows.loaded('complaint')?.source).toBe(draft.yaml);

    const conversation = await db.prisma.conversation.findFirst();
    expect(conversation).toBeNull();
    const customerId = newId();
    await db.prisma.customer.create({ data: { id: customerId, attributes: {}, tags: [] }, select: { id: true } });
    const identityId = newId();
    await db.prisma.channelIdentity.create({ data: { id: identityId, customerId, channel: 'sms', address: '+989121234567' }, select: { id: true } });
    const conversationId = newId();
    await db.prisma.conversation.create({ data: { id: conversationId, customerId, identityId, channel: 'sms' }, select: { id: true } });
    await db.prisma.flowSession.create({
      data: {
        id: newId(),
        conversationId,
        customerId,
        flowId: 'complaint',
        flowVersion: parley.flows.get('complaint')?.version as string,
        stepId: 'describe',
        variables: {},
      },
      select: { id: true },
    });

    const rolled = await post('/studio/api/flows/complaint/versions/1/rollback', {});
    expect(rolled.statusCode).toBe(201);
    expect(rolled.json().version).toMatchObject({ number: 3, status: 'draft', note: 'rollback to version 1' });
    const versions = (await get('/studio/api/flows/complaint/versions')).json();
    expect(versions.versions.map((v: { number: number; status: string }) => [v.number, v.status])).toEqual([
      [3, 'draft'],
      [2, 'live'],
      [1, 'archived'],
    ]);
    expect(versions.sessions).toEqual([{ version: 2, flowVersion: parley.flows.get('complaint')?.version, sessions: 1 }]);
    expect((await get('/studio/api/flows/complaint/diff?from=1&to=3')).json().diff).not.toMatch(/^[-+][^-+]/m);
    const list = (await get('/studio/api/flows')).json().flows.find((f: { id: string }) => f.id === 'complaint');
    expect(list).toMatchObject({ live: 2, draft: 3, sessionsRunning: 1 });
  });

  it('previews the flow as SMS (numbered text, segments, cost), WhatsApp (a list) and email, step by step in any locale', async () => {
    const sms = await post('/studio/api/flows/complaint/preview', { locale: 'fa', channel: 'sms', answers: [], smsPricePerSegment: 0.05 });
    expect(sms.statusCode, sms.body).toBe(200);
    const first = sms.json().transcript[0];
    expect(first.from).toBe('bot');
    expect(first.message.text).toContain('متأسفیم که مشکلی پیش آمده. موضوع آن چیست؟\n1. ارسال و تحویل\n2. کیفیت محصول');
    expect(first.message.sms).toMatchObject({ encoding: 'UCS-2', segments: 2, unitsPerSegment: 67 });
    expect(first.message.sms.cost).toBeCloseTo(0.1);

    const whatsapp = (await post('/studio/api/flows/complaint/preview', { locale: 'ar', channel: 'whatsapp', answers: ['2'] })).json();
    expect(whatsapp.transcript[0].message.list.rows).toEqual(['التوصيل', 'جودة المنتج', 'الفواتير والدفع', 'الموظفون والخدمة', 'أمر آخر']);
    expect(whatsapp.transcript[1]).toEqual({ from: 'customer', text: '2' });
    expect(whatsapp.transcript[2].message.text).toBe('يرجى إخبارنا بما حدث. يمكنك إرسال صور أو مستندات أيضًا.');
    expect(whatsapp.outcome.stepId).toBe('describe');

    const email = (await post('/studio/api/flows/complaint/preview', { locale: 'en', channel: 'email', answers: [] })).json();
    expect(email.transcript[0].message.text).toContain("I'm sorry something went wrong. What is it about?\n1. Delivery");
  });

  it('draws per-step statistics', async () => {
    const stats = (await get('/studio/api/flows/complaint/stats?since=7d')).json().stats;
    expect(stats.steps.map((s: { stepId: string }) => s.stepId)).toEqual(['category', 'describe', 'order', 'register', 'confirm', 'to_support']);
    expect(stats.steps[0].counts).toEqual({ entered: 0, answered: 0, invalid: 0, timed_out: 0, dropped: 0, completed: 0 });
    expect((await get('/studio/api/flows/complaint/stats?since=yesterday')).json().error.message).toMatch(/^query.since: /);
  });

  it('enforces roles: no session no data, an agent cannot read or edit flows, a manager reads but cannot edit, a marketer cannot manage users, CSRF on changes', async () => {
    expect((await app.inject({ method: 'GET', url: '/studio/api/flows' })).statusCode).toBe(401);
    const agent = await logIn(app, 'ali@example.com');
    expect((await get('/studio/api/flows', agent)).statusCode).toBe(403);
    expect((await post('/studio/api/flows/complaint/drafts', { stepId: 'describe', locale: 'fa', text: 'x' }, agent)).statusCode).toBe(403);
    const manager = await logIn(app, 'boss@example.com');
    expect((await get('/studio/api/flows/complaint', manager)).statusCode).toBe(200);
    expect((await get('/studio/api/flows/complaint/stats', manager)).statusCode).toBe(200);
    expect((await post('/studio/api/flows/complaint/versions/1/publish', {}, manager)).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/studio/api/users' })).statusCode).toBe(401);
    expect((await get('/studio/api/users')).statusCode).toBe(403);
    expect((await post('/studio/api/users', { email: 'x@example.com', role: 'admin', password: 'long enough password' })).statusCode).toBe(403);
    const noCsrf = await app.inject({
      method: 'POST',
      url: '/studio/api/flows/complaint/drafts',
      headers: marketer.read,
      payload: { stepId: 'describe', locale: 'fa', text: 'x' },
    });
    expect(noCsrf.statusCode).toBe(403);
    expect((await get('/studio/api/flows/nosuch')).json().error.message).toMatch(/^flow "nosuch" \(loaded: complaint, cross_sell, csat, /);
  });

  it('lets an admin manage users', async () => {
    await studioUser(db, 'root@example.com', 'admin');
    const admin = await logIn(app, 'root@example.com');
    const added = await post('/studio/api/users', { email: 'New@Example.com', role: 'agent', password: 'long enough password' }, admin);
    expect(added.statusCode).toBe(201);
    expect(added.json().user).toMatchObject({ email: 'new@example.com', role: 'agent' });
    expect((await get('/studio/api/users', admin)).json().users.map((u: { email: string }) => u.email)).toContain('new@example.com');
    const removed = await app.inject({ method: 'DELETE', url: '/studio/api/users/new@example.com', headers: admin.write });
    expect(removed.json()).toEqual({ removed: 'new@example.com' });
  });
});
