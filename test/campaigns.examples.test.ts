import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { SegmentFilterSchema } from '../src/campaigns/segment-filter.ts';
import { CampaignInputSchema } from '../src/campaigns/spec.ts';
import { readFlowDirectory } from '../src/flows/registry.ts';

const DIR = 'examples/campaigns';
const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));

describe('shipped campaign examples', () => {
  const flows = new Set(readFlowDirectory('flows').flows.map((f) => f.flow.id));
  const segments = new Set(files.filter((f) => f.endsWith('.segment.yaml')).map((f) => f.replace('.segment.yaml', '')));

  it('has the welcome series, the cross-sell survey and the win-back', () => {
    expect(files.filter((f) => !f.endsWith('.segment.yaml')).sort()).toEqual(['cross-sell-survey.yaml', 'welcome-series.yaml', 'win-back.yaml']);
  });

  it('ships the win-back as a win-back campaign, so it shares the once-per-customer rule with the inactive trigger', () => {
    const campaign = CampaignInputSchema.parse(parseYaml(readFileSync(join(DIR, 'win-back.yaml'), 'utf8')));
    expect(campaign).toMatchObject({ kind: 'winback', flow: 'winback', purpose: 'winback' });
  });

  for (const file of files) {
    it(`${file} is valid and names shipped flows and segments, with texts in en, fa and ar`, () => {
      const document = parseYaml(readFileSync(join(DIR, file), 'utf8')) as unknown;
      if (file.endsWith('.segment.yaml')) {
        expect(SegmentFilterSchema.safeParse(document).error).toBeUndefined();
        return;
      }
      const campaign = CampaignInputSchema.parse(document);
      expect(segments.has(campaign.segment)).toBe(true);
      const variants = campaign.variants ?? [{ flow: campaign.flow, text: campaign.text }];
      for (const v of variants) {
        if (v.flow) expect(flows.has(v.flow), v.flow).toBe(true);
        if (v.text) expect(Object.keys(v.text).sort()).toEqual(['ar', 'en', 'fa']);
      }
    });
  }
});
