import { afterEach, describe, expect, it } from 'vitest';
import { campaignResults, resultsCsv } from '../src/campaigns/results.ts';
import { FIXTURE_RESULTS, seedCampaignResults } from './support/campaign-results-fixture.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';

describe.each(dialects)('campaign results on %s', (dialect) => {
  let db: TestDatabase;
  afterEach(async () => db?.dispose());

  it('counts targeted, skips by reason, sent, delivered, read, replied, completed, goal, opt-outs and failures per variant', async () => {
    db = await freshDatabase(dialect);
    await seedCampaignResults(db);
    const results = await campaignResults(db, 'spring');
    expect(results.variants).toEqual(FIXTURE_RESULTS.variants);
    expect(results.total).toEqual(FIXTURE_RESULTS.total);
    const csv = resultsCsv(results).split('\n');
    expect(csv[0]).toBe('variant,metric,detail,count');
    expect(csv).toContain('all,skipped,frequency_cap,2');
    expect(csv).toContain('B,completed,,2');
    expect(csv).toContain('A,failed,131026 receiver incapable,1');
  });
});
