import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { addCampaign, cancelCampaign, getCampaign, listCampaigns, pauseCampaign, resumeCampaign, startCampaign } from '../campaigns/campaigns.ts';
import { campaignResults, resultsCsv } from '../campaigns/results.ts';
import { SegmentFilterSchema } from '../campaigns/segment-filter.ts';
import { addSegment, getSegment, listSegments, previewSegment } from '../campaigns/segments.ts';
import type { Database } from '../db/database.ts';

export interface CampaignsApiOptions {
  readonly db: Database;
  readonly now: () => Date;
  readonly flowExists: (id: string) => boolean;
  /** Wakes the job runner after a campaign was started or resumed. */
  readonly onJobsQueued: () => void;
}

const NameParams = z.object({ id: z.string().min(1).describe('id or name') });

/** Segments and campaigns (behind the bearer token). Bodies are checked by the campaigns' own schemas, whose errors name the field. */
export const campaignsApi: FastifyPluginAsyncZod<CampaignsApiOptions> = async (app, { db, now, flowExists, onJobsQueued }) => {
  app.get('/segments', { schema: { summary: 'Saved segments (named customer filters)' } }, async () => ({ segments: await listSegments(db) }));

  app.post(
    '/segments',
    {
      schema: {
        summary:
          'Save a segment: name, description and filter (tags, attributes, lifecycle, key, churn, locale, channels, lastSeen, rating, openTickets, consent)',
        body: z.object({ name: z.string(), description: z.string().optional(), filter: z.unknown() }),
      },
    },
    async (request, reply) => reply.code(201).send({ segment: await addSegment(db, request.body, 'api') }),
  );

  app.get('/segments/:id/preview', { schema: { summary: 'How many customers a segment finds now, and 10 of them', params: NameParams } }, async (request) => ({
    preview: await previewSegment(db, (await getSegment(db, request.params.id)).filter, now()),
  }));

  app.post('/segments/preview', { schema: { summary: 'Preview a filter without saving it', body: SegmentFilterSchema } }, async (request) => ({
    preview: await previewSegment(db, request.body, now()),
  }));

  app.get('/campaigns', { schema: { summary: 'Campaigns, newest first, with status and variants' } }, async () => ({ campaigns: await listCampaigns(db) }));

  app.post(
    '/campaigns',
    {
      schema: {
        summary: 'Save a campaign (a draft): segment, flow or text (or A/B variants), channel, schedule, quiet hours, goal',
        body: z.looseObject({ name: z.string(), segment: z.string() }),
      },
    },
    async (request, reply) => reply.code(201).send({ campaign: await addCampaign(db, request.body, flowExists, 'api') }),
  );

  app.get('/campaigns/:id', { schema: { summary: 'One campaign', params: NameParams } }, async (request) => ({
    campaign: await getCampaign(db, request.params.id),
  }));

  for (const [action, change] of [
    ['start', startCampaign],
    ['pause', pauseCampaign],
    ['resume', resumeCampaign],
    ['cancel', cancelCampaign],
  ] as const) {
    app.post(
      `/campaigns/:id/${action}`,
      { schema: { summary: `${action[0]!.toUpperCase()}${action.slice(1)} a campaign`, params: NameParams } },
      async (request) => {
        const campaign = await change(db, request.params.id, 'api', now());
        onJobsQueued();
        return { campaign };
      },
    );
  }

  app.get(
    '/campaigns/:id/results',
    {
      schema: {
        summary: 'Results per variant: targeted, skipped by reason, sent, delivered, read, replied, completed, goal reached, opted out, failed by reason',
        params: NameParams,
        querystring: z.object({ format: z.enum(['json', 'csv']).default('json') }),
      },
    },
    async (request, reply) => {
      const results = await campaignResults(db, request.params.id);
      if (request.query.format === 'csv') return reply.type('text/csv; charset=utf-8').send(resultsCsv(results));
      return { results };
    },
  );
};
