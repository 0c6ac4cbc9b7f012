import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addSegment } from '../src/campaigns/segments.ts';
import { SKIP_REASONS } from '../src/contact/policy.ts';
import type { Parley } from '../src/runtime.ts';
import { buildServer } from '../src/server/app.ts';
import { FIXTURE_RESULTS, seedCampaignResults } from './support/campaign-results-fixture.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';
import { FakeAdapter, settle, testParley } from './support/parley.ts';
import { logIn, type StudioLogin, studioUser } from './support/studio.ts';
import '../src/studio/ui/campaign-texts.ts';
import { LOCALES, t } from '../src/studio/ui/i18n.ts';

it('the results table names every skip reason in en, fa and ar', () => {
  for (const reason of [...SKIP_REASONS, 'cancelled'])
    for (const locale of LOCALES) expect(t(`skip.${reason}`, {}, locale), `${reason} in ${locale}`).not.toBe(`skip.${reason}`);
});

describe.each(dialects)('studio segments and campaigns on %s', (dialect) => {
  let db: TestDatabase;
  let parley: Parley;
  let app: FastifyInstance;
  let adapter: FakeAdapter;

  beforeEach(async () => {
    db = await freshDatabase(dialect);
    adapter = new FakeAdapter();
    parley = await testParley(db, { adapters: [adapter], env: { PARLEY_CAMPAIGN_QUIET_HOURS: '00:00-00:00' } });
    await parley.startChannels();
    app = await buildServer(parley);
    for (const role of ['admin', 'manager', 'marketer', 'agent'] as const) await studioUser(db, `${role}@example.com`, role);
    for (const [i, text] of ['سلام', 'مرحبا', 'hello'].entries()) {
      await parley.inbox.accept({ channel: 'whatsapp', externalId: `w${i}`, sender: { address: `+98912123456${i}`, addressKind: 'phone' }, text, raw: {} });
    }
    await settle(parley);
  });
  afterEach(async () => {
    await app?.close();
    await parley?.stop();
    await db?.dispose();
  });

  const call = (login: StudioLogin, method: 'GET' | 'POST', url: string, payload?: object) =>
    app.inject({ method, url, headers: method === 'GET' ? login.read : login.write, payload });

  it('a marketer saves and previews segments; a refused filter says on which line', async () => {
    const marketer = await logIn(app, 'marketer@example.com');

    const syntax = await call(marketer, 'POST', '/studio/api/segments', { name: 'broken', filter: 'tags: { any: [vip]\nlocale: [fa]' });
    expect(syntax.statusCode).toBe(400);
    expect(syntax.json().error.problems[0]).toMatchObject({ path: 'filter', line: 2 });
    expect(syntax.json().error.message).toMatch(/^segment rejected: line 2: YAML: /);

    const filter = 'channels: [whatsapp]\nchurn:\n  min: high\ncolour: red\n';
    const refused = await call(marketer, 'POST', '/studio/api/segments', { name: '', filter });
    expect(refused.statusCode).toBe(400);
    const { message, problems } = refused.json().error;
    // The same text `parley segments add` prints, and each problem where it is.
    expect(message).toMatch(/^segment rejected: name: a segment needs a name; filter\.churn\.min: .*; filter: Unrecognized key: "colour"$/);
    expect(problems).toEqual([
      { path: 'name', message: 'a segment needs a name' },
      { path: 'filter.churn.min', message: expect.any(String), line: 3, column: 8 },
      { path: 'filter', message: 'Unrecognized key: "colour"', line: 4, column: 9 },
    ]);

    const unsaved = await call(marketer, 'POST', '/studio/api/segments/preview', { filter: '{"channels": ["email"]}' });
    expect(unsaved.json()).toEqual({ preview: { count: 0, sample: [] } });
    const unsavedBad = await call(marketer, 'POST', '/studio/api/segments/preview', { filter: 'lifecycle: [sleepy]' });
    expect(unsavedBad.statusCode).toBe(400);
    expect(unsavedBad.json().error.problems).toEqual([{ path: 'filter.lifecycle.0', message: expect.stringContaining('active'), line: 1, column: 13 }]);

    const saved = await call(marketer, 'POST', '/studio/api/segments', {
      name: 'on whatsapp',
      description: 'all three',
      filter: '# everyone\nchannels: [whatsapp]\n',
    });
    expect(saved.statusCode).toBe(201);
    expect(saved.json().segment).toMatchObject({ name: 'on whatsapp', description: 'all three', filter: { channels: ['whatsapp'] } });
    expect((await call(marketer, 'POST', '/studio/api/segments', { name: 'on whatsapp', filter: '{}' })).statusCode).toBe(409);
    const list = await call(marketer, 'GET', '/studio/api/segments');
    expect(list.json().segments.map((s: { name: string }) => s.name)).toEqual(['on whatsapp']);
    const preview = await call(marketer, 'GET', `/studio/api/segments/${encodeURIComponent('on whatsapp')}/preview`);
    expect(preview.json().preview.count).toBe(3);
    expect(preview.json().preview.sample).toHaveLength(3);
    const audit = await db.prisma.auditLog.findFirst({ where: { action: 'segment.add' }, select: { actor: true } });
    expect(audit?.actor).toBe('studio:marketer@example.com');
  });

  it('a marketer adds a campaign from YAML (errors at their lines), starts it and reads its results and CSV', async () => {
    const marketer = await logIn(app, 'marketer@example.com');
    await addSegment(db, { name: 'everyone', filter: { channels: ['whatsapp'] } }, 'test');
    const yaml = (extra: string) => `name: hello\nsegment: everyone\ntext: { en: Hi, fa: درود, ar: أهلا }\n${extra}`;

    const badTime = await call(marketer, 'POST', '/studio/api/campaigns', { yaml: yaml("schedule:\n  time: '25:00'\n") });
    expect(badTime.statusCode).toBe(400);
    expect(badTime.json().error.problems).toEqual([{ path: 'schedule.time', message: expect.any(String), line: 5, column: 9 }]);
    expect(badTime.json().error.message).toMatch(/^campaign rejected: schedule\.time: /);
    const noFlow = await call(marketer, 'POST', '/studio/api/campaigns', {
      yaml: 'name: hello\nsegment: everyone\nvariants:\n  - { name: A, text: { en: Hi } }\n  - { name: B, flow: nowhere }\n',
    });
    expect(noFlow.statusCode).toBe(400);
    expect(noFlow.json().error).toMatchObject({
      message: 'campaign rejected: variants.1.flow: no loaded flow has the id "nowhere"',
      problems: [{ path: 'variants.1.flow', line: 5, column: 22 }],
    });
    const notYaml = await call(marketer, 'POST', '/studio/api/campaigns', { yaml: 'name: [hello' });
    expect(notYaml.json().error.problems[0]).toMatchObject({ path: '', line: 1 });

    const created = await call(marketer, 'POST', '/studio/api/campaigns', { yaml: yaml('goal: { type: replied, within: 2d }\n') });
    expect(created.statusCode).toBe(201);
    expect(created.json().campaign).toMatchObject({ name: 'hello', status: 'draft' });
    const id = created.json().campaign.id as string;
    const listed = (await call(marketer, 'GET', '/studio/api/campaigns')).json().campaigns;
    expect(listed).toMatchObject([{ name: 'hello', status: 'draft', segmentName: 'everyone', run: 0 }]);

    const started = await call(marketer, 'POST', `/studio/api/campaigns/${id}/start`);
    expect(started.json().campaign.status).toBe('running');
    await settle(parley);
    expect(adapter.sent.map((m) => m.content.text).filter((t) => ['Hi', 'درود', 'أهلا'].includes(t ?? ''))).toHaveLength(3);
    const detail = (await call(marketer, 'GET', `/studio/api/campaigns/${id}`)).json();
    expect(detail.campaign).toMatchObject({ name: 'hello', status: 'completed', segmentName: 'everyone', spec: { goal: { type: 'replied', within: '2d' } } });
    expect(detail.results.total).toMatchObject({ targeted: 3, waiting: 0, skipped: {}, queued: 3, sent: 3 });
    expect(detail.results.variants).toMatchObject([{ name: 'A', targeted: 3, sent: 3 }]);
    const paused = await call(marketer, 'POST', `/studio/api/campaigns/${id}/pause`);
    expect(paused.statusCode).toBe(409);
    expect(paused.json().error.message).toBe('campaign "hello" is completed: only a running campaign can be made paused');

    // A campaign whose date is far off: start, pause, resume and cancel it.
    const later = await call(marketer, 'POST', '/studio/api/campaigns', {
      yaml: 'name: later\nsegment: everyone\ntext: { en: Later }\nschedule: { date: 2099-01-01 }\n',
    });
    const statuses = [];
    for (const change of ['start', 'pause', 'resume', 'cancel']) {
      const answer = await call(marketer, 'POST', `/studio/api/campaigns/later/${change}`);
      expect(answer.statusCode, change).toBe(200);
      statuses.push(answer.json().campaign.status);
    }
    expect(later.statusCode).toBe(201);
    expect(statuses).toEqual(['running', 'paused', 'running', 'cancelled']);
    expect((await call(marketer, 'POST', '/studio/api/campaigns/later/launch')).statusCode).toBe(400);
  });

  it('shows the hand-computed results of the fixture per variant, with skips by reason, and its CSV', async () => {
    const segment = await addSegment(db, { name: 'fixture', filter: {} }, 'test');
    await seedCampaignResults(db, segment.id);
    const manager = await logIn(app, 'manager@example.com');
    const detail = await call(manager, 'GET', '/studio/api/campaigns/spring');
    expect(detail.statusCode).toBe(200);
    const { campaign, results } = detail.json();
    expect(campaign).toMatchObject({ name: 'spring', status: 'running', segmentName: 'fixture', variants: [{ name: 'A' }, { name: 'B' }] });
    // Worked out by hand in test/support/campaign-results-fixture.ts.
    expect(results.variants).toEqual(FIXTURE_RESULTS.variants);
    expect(results.total).toEqual(FIXTURE_RESULTS.total);
    expect((await call(manager, 'GET', '/studio/api/campaigns/spring/results')).json().results).toEqual(results);

    const csv = await call(manager, 'GET', `/studio/api/campaigns/${campaign.id}/results?format=csv`);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toBe(`attachment; filename="parley-spring-results.csv"; filename*=UTF-8''parley-spring-results.csv`);
    const lines = csv.body.trim().split('\n');
    expect(lines[0]).toBe('variant,metric,detail,count');
    expect(lines).toContain('all,skipped,frequency_cap,2');
    expect(lines).toContain('A,skipped,opted_out,1');
    expect(lines).toContain('B,failed,131026 receiver incapable,1');
  });

  it('managers read but may not change; agents may not read; changes need the CSRF token; none without a session', async () => {
    await addSegment(db, { name: 'everyone', filter: { channels: ['whatsapp'] } }, 'test');
    const manager = await logIn(app, 'manager@example.com');
    for (const url of ['/studio/api/segments', '/studio/api/campaigns', '/studio/api/segments/everyone/preview'])
      expect((await call(manager, 'GET', url)).statusCode, url).toBe(200);
    expect((await call(manager, 'POST', '/studio/api/segments/preview', { filter: '{}' })).statusCode).toBe(200);
    const managerAdds = await call(manager, 'POST', '/studio/api/segments', { name: 'x', filter: '{}' });
    expect(managerAdds.statusCode).toBe(403);
    expect(managerAdds.json().error.message).toMatch(/manager may not do this/);
    expect((await call(manager, 'POST', '/studio/api/campaigns', { yaml: 'name: x\nsegment: everyone\ntext: { en: x }' })).statusCode).toBe(403);

    const agent = await logIn(app, 'agent@example.com');
    for (const url of ['/studio/api/segments', '/studio/api/campaigns', '/studio/api/segments/everyone/preview'])
      expect((await call(agent, 'GET', url)).statusCode, url).toBe(403);
    expect((await call(agent, 'POST', '/studio/api/campaigns', { yaml: 'name: x' })).statusCode).toBe(403);

    const admin = await logIn(app, 'admin@example.com');
    const adminAdds = await call(admin, 'POST', '/studio/api/campaigns', { yaml: 'name: x\nsegment: everyone\ntext: { en: x }' });
    expect(adminAdds.statusCode).toBe(201);
    const marketer = await logIn(app, 'marketer@example.com');
    const noToken = await app.inject({ method: 'POST', url: '/studio/api/campaigns/x/start', headers: marketer.read });
    expect(noToken.statusCode).toBe(403);
    expect(noToken.json().error.message).toMatch(/x-csrf-token/);
    expect((await app.inject({ method: 'GET', url: '/studio/api/campaigns' })).statusCode).toBe(401);
    expect((await db.prisma.campaign.findUniqueOrThrow({ where: { name: 'x' }, select: { status: true } })).status).toBe('draft');

    // The REST API reads the same for a studio session: a manager may, an agent may not.
    expect((await call(manager, 'GET', '/api/v1/campaigns')).statusCode).toBe(200);
    expect((await call(agent, 'GET', '/api/v1/segments')).statusCode).toBe(403);
  });
});
