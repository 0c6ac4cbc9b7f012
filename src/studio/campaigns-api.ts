import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { z } from 'zod';
import { addCampaign, cancelCampaign, getCampaign, listCampaigns, pauseCampaign, resumeCampaign, startCampaign } from '../campaigns/campaigns.ts';
import { InputRejected } from '../campaigns/rejected.ts';
import { campaignResults, resultsCsv } from '../campaigns/results.ts';
import { SegmentFilterSchema } from '../campaigns/segment-filter.ts';
import { addSegment, getSegment, listSegments, previewSegment } from '../campaigns/segments.ts';
import { NotFoundError } from '../core/errors.ts';
import type { Database } from '../db/database.ts';
import { requireRole } from './auth.ts';
import { type DocumentProblem, locateIssues, readDocumentText } from './document-problems.ts';
import { studioScope } from './http.ts';
import { STUDIO_ACCESS } from './roles.ts';

export interface StudioCampaignsApiOptions {
  readonly db: Database;
  readonly now: () => Date;
  readonly flowExists: (id: string) => boolean;
  /** Wakes the job runner after a campaign was started or resumed. */
  readonly onJobsQueued: () => void;
}

const IdParams = z.object({ id: z.string().min(1).describe('id or name') });
const FilterText = z.string().max(20_000).describe('the filter as YAML or JSON (README: Campaigns)');
const CHANGES = { start: startCampaign, pause: pauseCampaign, resume: resumeCampaign, cancel: cancelCampaign } as const;

/** 400 with each problem at its line: `{ error: { status, message, problems } }`. */
const refuse = (reply: FastifyReply, message: string, problems: readonly DocumentProblem[]) =>
  reply.status(400).send({ error: { status: 400, message, problems } });

const syntaxMessage = (what: string, problems: readonly DocumentProblem[]) =>
  `${what} rejected: ${problems.map((p) => `line ${p.line}: ${p.message}`).join('; ')}`;

/** parley-<campaign>-results.csv: an ASCII name for old clients, the campaign's own (any script) in filename*. */
function attachment(campaign: string): string {
  const slug = (pattern: RegExp) => campaign.replace(pattern, '-').replace(/^-+|-+$/g, '') || 'campaign';
  const ascii = `parley-${slug(/[^A-Za-z0-9_-]+/g)}-results.csv`;
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(`parley-${slug(/[^\p{L}\p{N}_-]+/gu)}-results.csv`)}`;
}

/**
 * Segments and campaigns for the studio's pages: the same functions `parley segments|campaigns`
 * and /api/v1 call. Marketers and admins change them; managers read. Filters and campaigns
 * arrive as the YAML or JSON text the marketer typed, so a refusal can say on which line.
 */
export const studioCampaignsApi: FastifyPluginAsync<StudioCampaignsApiOptions> = async (plain, { db, now, flowExists, onJobsQueued }) => {
  const app = studioScope(plain);
  const read = { preHandler: requireRole(...STUDIO_ACCESS.campaigns) };
  const edit = { preHandler: requireRole(...STUDIO_ACCESS.campaignsEdit) };
  const actor = (email: string | undefined) => `studio:${email ?? 'unknown'}`;

  app.get('/segments', read, async () => ({ segments: await listSegments(db) }));

  app.get('/segments/:id/preview', { ...read, schema: { params: IdParams } }, async (request) => ({
    preview: await previewSegment(db, (await getSegment(db, request.params.id)).filter, now()),
  }));

  // A read, but a POST: the filter being typed travels in the body.
  app.post('/segments/preview', { ...read, schema: { body: z.object({ filter: FilterText }).strict() } }, async (request, reply) => {
    const text = readDocumentText(request.body.filter);
    if (!text.ok)
      return refuse(
        reply,
        syntaxMessage('filter', text.problems),
        text.problems.map((p) => ({ ...p, path: 'filter' })),
      );
    const filter = SegmentFilterSchema.safeParse(text.value ?? {});
    if (!filter.success) {
      const problems = locateIssues(filter.error.issues, request.body.filter).map((p) => ({ ...p, path: p.path ? `filter.${p.path}` : 'filter' }));
      return refuse(reply, `filter rejected: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, problems);
    }
    return { preview: await previewSegment(db, filter.data, now()) };
  });

  app.post(
    '/segments',
    { ...edit, schema: { body: z.object({ name: z.string(), description: z.string().optional(), filter: FilterText }).strict() } },
    async (request, reply) => {
      const { name, description, filter } = request.body;
      const text = readDocumentText(filter);
      if (!text.ok)
        return refuse(
          reply,
          syntaxMessage('segment', text.problems),
          text.problems.map((p) => ({ ...p, path: 'filter' })),
        );
      try {
        const segment = await addSegment(
          db,
          { name, description: description?.trim() || undefined, filter: text.value ?? {} },
          actor(request.studioUser?.email),
        );
        return reply.status(201).send({ segment });
      } catch (error) {
        if (error instanceof InputRejected) return refuse(reply, error.message, locateIssues(error.issues, filter, ['filter']));
        throw error;
      }
    },
  );

  app.get('/campaigns', read, async () => {
    const segments = new Map((await listSegments(db)).map((s) => [s.id, s.name]));
    return { campaigns: (await listCampaigns(db)).map((c) => ({ ...c, segmentName: segments.get(c.segmentId) ?? null })) };
  });

  app.post('/campaigns', { ...edit, schema: { body: z.object({ yaml: z.string().max(100_000) }).strict() } }, async (request, reply) => {
    const { yaml } = request.body;
    const text = readDocumentText(yaml);
    if (!text.ok) return refuse(reply, syntaxMessage('campaign', text.problems), text.problems);
    try {
      return reply.status(201).send({ campaign: await addCampaign(db, text.value, flowExists, actor(request.studioUser?.email)) });
    } catch (error) {
      if (error instanceof InputRejected) return refuse(reply, error.message, locateIssues(error.issues, yaml));
      throw error;
    }
  });

  app.get('/campaigns/:id', { ...read, schema: { params: IdParams } }, async (request) => {
    const campaign = await getCampaign(db, request.params.id);
    const segment = await getSegment(db, campaign.segmentId).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    });
    return { campaign: { ...campaign, segmentName: segment?.name ?? null }, results: await campaignResults(db, campaign.id) };
  });

  app.get(
    '/campaigns/:id/results',
    { ...read, schema: { params: IdParams, querystring: z.object({ format: z.enum(['json', 'csv']).default('json') }) } },
    async (request, reply) => {
      const results = await campaignResults(db, request.params.id);
      if (request.query.format === 'json') return { results };
      return reply.type('text/csv; charset=utf-8').header('content-disposition', attachment(results.campaign)).send(resultsCsv(results));
    },
  );

  app.post(
    '/campaigns/:id/:change',
    { ...edit, schema: { params: IdParams.extend({ change: z.enum(['start', 'pause', 'resume', 'cancel']) }) } },
    async (request) => {
      const campaign = await CHANGES[request.params.change](db, request.params.id, actor(request.studioUser?.email), now());
      onJobsQueued();
      return { campaign };
    },
  );
};
