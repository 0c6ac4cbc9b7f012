import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { UserError } from '../../core/errors.ts';
import type { Database } from '../../db/database.ts';
import type { FlowRegistry } from '../../flows/registry.ts';
import { flowStats } from '../../flows/stats.ts';
import { type FlowProblem, formatProblem, parseFlowFile } from '../../flows/validate.ts';
import { sinceOf } from '../../server/errors.ts';
import { requireRole } from '../auth.ts';
import { studioScope } from '../http.ts';
import { STUDIO_ACCESS } from '../roles.ts';
import { applyPatch, FlowPatch } from './edit.ts';
import { flowGraph } from './graph.ts';
import { type PreviewDeps, previewFlow, PreviewRequest } from './preview.ts';
import { FlowRevisions } from './revisions.ts';

export interface StudioFlowsDeps extends PreviewDeps {
  readonly db: Database;
  readonly flows: FlowRegistry;
  readonly now: () => Date;
}

const FlowParams = z.object({ id: z.string().min(1) });
const VersionParams = FlowParams.extend({ number: z.coerce.number().int().min(1) });
const FullYaml = z.object({ yaml: z.string().min(1, 'the flow file is empty'), note: z.string().max(500).optional() }).strict();
const DraftBody = z.union([FullYaml, FlowPatch]);

/**
 * The flows pages' API under /studio/api/flows: the list, one flow as YAML and graph with its
 * validation, drafts (whole YAML or a patch of one text or setting), publishing, versions,
 * diffs, rollback, preview per channel and per-step statistics.
 */
export async function studioFlowsApi(plain: FastifyInstance, deps: StudioFlowsDeps): Promise<void> {
  const app = studioScope(plain);
  const { db, flows } = deps;
  const revisions = new FlowRevisions(db, flows);
  const read = { preHandler: requireRole(...STUDIO_ACCESS.flows) };
  const edit = { preHandler: requireRole(...STUDIO_ACCESS.flowsEdit) };

  /** Exactly `parley flows validate`'s lines for this text of the flow's file. */
  const problemsOf = (file: string, yaml: string): FlowProblem[] => {
    const own = parseFlowFile(file, yaml);
    const live = flows.loaded(own.ok ? own.flow.id : '')?.source === yaml;
    // Rules across files (a start_flow to a missing flow, keyword clashes) are known for the file as loaded.
    const acrossFiles = live ? flows.problems.filter((p) => p.file === file) : [];
    return own.ok ? acrossFiles : [...own.problems, ...acrossFiles.filter((p) => !own.problems.some((q) => formatProblem(q) === formatProblem(p)))];
  };
  const view = (file: string, yaml: string) => {
    const problems = problemsOf(file, yaml);
    return { yaml, valid: problems.length === 0, problems: problems.map(formatProblem), graph: flowGraph(yaml, problems) };
  };

  app.get('/flows', read, async () => {
    const running = await db.prisma.flowSession.groupBy({ by: ['flowId'], where: { status: 'active' }, _count: { _all: true } });
    // Listing imports each live file as version 1 the first time, like opening the flow does.
    const versions = new Map(await Promise.all(flows.all().map(async (f) => [f.id, await revisions.list(f.id)] as const)));
    const number = (flowId: string, status: string) => versions.get(flowId)?.find((r) => r.status === status)?.number ?? null;
    return {
      flows: flows.all().map((flow) => ({
        id: flow.id,
        name: flow.name,
        file: flows.loaded(flow.id)?.file ?? '',
        status: flows.refused.some((r) => r.inUse?.id === flow.id) ? 'refused' : 'loaded',
        sessionsRunning: running.find((r) => r.flowId === flow.id)?._count._all ?? 0,
        live: number(flow.id, 'live'),
        draft: number(flow.id, 'draft'),
      })),
      refused: flows.refused.map((r) => ({
        file: r.file,
        inUse: r.inUse ?? null,
        problems: flows.problems.filter((p) => p.file === r.file).map(formatProblem),
      })),
    };
  });

  app.get(
    '/flows/:id',
    { ...read, schema: { params: FlowParams, querystring: z.object({ version: z.coerce.number().int().min(1).optional() }) } },
    async (request) => {
      const { id } = request.params;
      const loaded = revisions.loadedFlow(id);
      const list = await revisions.list(id);
      const draft = await revisions.currentDraft(id);
      const number = request.query.version ?? draft?.number ?? list.find((r) => r.status === 'live')?.number;
      const yaml = number === undefined ? loaded.source : await revisions.yaml(id, number);
      return {
        flow: { id, name: loaded.flow.name, file: loaded.file, locales: loaded.flow.locales },
        version: list.find((r) => r.number === number) ?? null,
        ...view(loaded.file, yaml),
      };
    },
  );

  app.post('/flows/:id/validate', { ...read, schema: { params: FlowParams, body: z.object({ yaml: z.string() }).strict() } }, async (request) =>
    view(revisions.loadedFlow(request.params.id).file, request.body.yaml),
  );

  app.post('/flows/:id/drafts', { ...edit, schema: { params: FlowParams, body: DraftBody } }, async (request, reply) => {
    const { id } = request.params;
    const loaded = revisions.loadedFlow(id);
    const body = request.body;
    let yaml: string;
    if ('yaml' in body) yaml = body.yaml;
    else yaml = applyPatch((await revisions.currentDraft(id))?.yaml ?? loaded.source, body);
    const parsed = parseFlowFile(loaded.file, yaml);
    if (parsed.ok && parsed.flow.id !== id) throw new UserError(`the YAML is flow "${parsed.flow.id}", not "${id}": a flow's id cannot change`, 422);
    const version = await revisions.saveDraft(id, yaml, request.studioUser?.email ?? 'studio', 'note' in body ? body.note : undefined);
    return reply.status(201).send({ version, ...view(loaded.file, yaml) });
  });

  app.get('/flows/:id/versions', { ...read, schema: { params: FlowParams } }, async (request) => ({
    versions: await revisions.list(request.params.id),
    sessions: await revisions.sessionsByVersion(request.params.id),
  }));

  app.get(
    '/flows/:id/diff',
    { ...read, schema: { params: FlowParams, querystring: z.object({ from: z.coerce.number().int().min(1), to: z.coerce.number().int().min(1) }) } },
    async (request) => ({ diff: await revisions.diff(request.params.id, request.query.from, request.query.to) }),
  );

  app.post('/flows/:id/versions/:number/publish', { ...edit, schema: { params: VersionParams } }, async (request) => ({
    version: await revisions.publish(request.params.id, request.params.number),
  }));

  app.post('/flows/:id/versions/:number/rollback', { ...edit, schema: { params: VersionParams } }, async (request, reply) =>
    reply.status(201).send({ version: await revisions.rollback(request.params.id, request.params.number, request.studioUser?.email ?? 'studio') }),
  );

  app.post('/flows/:id/preview', { ...read, schema: { params: FlowParams, body: PreviewRequest } }, async (request) => {
    const { id } = request.params;
    const loaded = revisions.loadedFlow(id);
    const yaml = request.body.yaml ?? (await revisions.currentDraft(id))?.yaml ?? loaded.source;
    const problems = problemsOf(loaded.file, yaml);
    if (!parseFlowFile(loaded.file, yaml).ok) throw new UserError(`fix the flow first: ${problems.map(formatProblem).join('; ')}`, 422);
    return previewFlow(deps, { id, file: loaded.file, yaml, dir: flows.directory }, request.body);
  });

  app.get(
    '/flows/:id/stats',
    {
      preHandler: requireRole(...STUDIO_ACCESS.flowStats),
      schema: { params: FlowParams, querystring: z.object({ since: z.string().optional().describe('a duration back from now (7d) or an ISO date') }) },
    },
    async (request) => {
      const { id } = request.params;
      const since = request.query.since === undefined ? undefined : sinceOf(request.query.since, deps.now());
      return { stats: await flowStats(db, id, revisions.loadedFlow(id).flow, since) };
    },
  );
}
