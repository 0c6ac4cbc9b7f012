import { afterEach, describe, expect, it } from 'vitest';
import type { Parley } from '../src/runtime.ts';
import { buildServer } from '../src/server/app.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';
import { FakeAdapter, settle, testParley } from './support/parley.ts';

const TOKEN = 'test-token-123';
const auth = { authorization: `Bearer ${TOKEN}` };

describe.each(dialects)('segments and campaigns over the REST API on %s', (dialect) => {
  let db: TestDatabase;
  let parley: Parley;
  afterEach(async () => {
    await parley?.stop();
    await db?.dispose();
  });

  it('saves and previews a segment, sends a campaign to it and reports the results as JSON and CSV; bad bodies say where', async () => {
    db = await freshDatabase(dialect);
    const adapter = new FakeAdapter();
    parley = await testParley(db, { adapters: [adapter], env: { PARLEY_API_TOKEN: TOKEN, PARLEY_CAMPAIGN_QUIET_HOURS: '00:00-00:00' } });
    await parley.startChannels();
    const app = await buildServer(parley);
    try {
      for (const [i, text] of ['سلام', 'مرحبا', 'hello'].entries()) {
        await parley.inbox.accept({ channel: 'whatsapp', externalId: `w${i}`, sender: { address: `+98912123456${i}`, addressKind: 'phone' }, text, raw: {} });
      }
      await settle(parley);
      const sentBefore = adapter.sent.length;
      const post = (url: string, payload?: object) => app.inject({ method: 'POST', url, headers: auth, payload });

      const bad = await post('/api/v1/segments', { name: 'bad', filter: { churn: { min: 'high' } } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.message).toContain('filter.churn.min');
      expect((await post('/api/v1/segments', { name: 'everyone', filter: { channels: ['whatsapp'] } })).statusCode).toBe(201);
      const preview = await app.inject({ method: 'GET', url: '/api/v1/segments/everyone/preview', headers: auth });
      expect(preview.json().preview.count).toBe(3);

      const refused = await post('/api/v1/campaigns', { name: 'hello', segment: 'everyone', text: { en: 'Hi' }, schedule: { time: '25:00' } });
      expect(refused.statusCode).toBe(400);
      expect(refused.json().error.message).toContain('schedule.time');
      const created = await post('/api/v1/campaigns', {
        name: 'hello',
        segment: 'everyone',
        text: { en: 'Hi', fa: 'درود', ar: 'أهلا' },
        goal: { type: 'replied', within: '2d' },
      });
      expect(created.statusCode).toBe(201);
      expect((await post('/api/v1/campaigns/hello/start')).json().campaign.status).toBe('running');
      await settle(parley);
      expect(
        adapter.sent
          .slice(sentBefore)
          .map((m) => m.content.text)
          .sort(),
      ).toEqual(['Hi', 'أهلا', 'درود']);

      const results = (await app.inject({ method: 'GET', url: '/api/v1/campaigns/hello/results', headers: auth })).json().results;
      expect(results.total).toMatchObject({ targeted: 3, queued: 3, sent: 3 });
      const csv = await app.inject({ method: 'GET', url: '/api/v1/campaigns/hello/results?format=csv', headers: auth });
      expect(csv.headers['content-type']).toContain('text/csv');
      expect(csv.body).toContain('all,sent,,3');
      expect((await app.inject({ method: 'GET', url: '/api/v1/campaigns', headers: auth })).json().campaigns[0].status).toBe('completed');
      expect((await post('/api/v1/campaigns/hello/pause')).statusCode).toBe(409);
    } finally {
      await app.close();
    }
  });
});
