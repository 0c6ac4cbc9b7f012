import { afterEach, describe, expect, it } from 'vitest';
import { campaignResults, resultsCsv } from '../src/campaigns/results.ts';
import { seedCampaignResults } from './support/campaign-results-fixture.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';

describe.each(dialects)('campaign results on %s', (dialect) => {
  let db: TestDatabase;
  afterEach(async () => db?.dispose());

  it('counts targeted, skips by reason, sent, delivered, read, replied, completed, goal, opt-outs and failures per variant', async () => {
    db = await freshDatabase(dialect);
    await seedCampaignResults(db);
    const results = await campaignResults(db, 'spring');
    const a = {
      targeted: 6,
      waiting: 0,
      skipped: { frequency_cap: 1, opted_out: 1 },
      queued: 4,
      sent: 3,
      delivered: 2,
      read: 1,
      replied: 1,
      completed: 0,
      goalReached: 1,
      optedOut: 0,
      failed: { '131026 receiver incapable': 1 },
    };
    const b = {
      targeted: 6,
      waiting: 1,
      skipped: { frequency_cap: 1 },
      queued: 4,
      sent: 3,
      delivered: 3,
      read: 1,
      replied: 1,
      completed: 2,
      goalReached: 1,
      optedOut: 1,
      failed: { '131026 receiver incapable': 1 },
    };
    expect(results.variants).toEqual([
      { name: 'A', ...a },
      { name: 'B', ...b },
    ]);
    expect(results.total).toEqual({
      targeted: 12,
      waiting: 1,
      skipped: { frequency_cap: 2, opted_out: 1 },
      queued: 8,
      sent: 6,
      delivered: 5,
      read: 2,
      replied: 2,
      completed: 2,
      goalReached: 2,
      optedOut: 1,
      failed: { '131026 receiver incapable': 2 },
    });
    const csv = resultsCsv(results).split('\n');
    expect(csv[0]).toBe('variant,metric,detail,count');
    expect(csv).toContain('all,skipped,frequency_cap,2');
    expect(csv).toContain('B,completed,,2');
    expect(csv).toContain('A,failed,131026 receiver incapable,1');
  });
});
