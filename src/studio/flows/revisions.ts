import { createHash } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { NotFoundError, UserError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import type { Database } from '../../db/database.ts';
import type { FlowRegistry } from '../../flows/registry.ts';
import { formatProblem, parseFlowFile } from '../../flows/validate.ts';

export interface RevisionView {
  readonly number: number;
  readonly status: 'draft' | 'live' | 'archived';
  readonly sha256: string;
  readonly createdAt: Date;
  readonly createdBy: string | null;
  readonly note: string | null;
}

const VIEW = { number: true, status: true, sha256: true, createdAt: true, createdBy: true, note: true } as const;

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A loaded flow's version is the first 16 hex digits of its file's sha256 (src/flows/validate.ts). */
export const versionOfSha = (sha: string): string => sha.slice(0, 16);

/**
 * The studio's versions of one flow. The file in the flows directory is the live version;
 * the first time the studio opens a flow, that file becomes version 1 (live).
 */
export class FlowRevisions {
  constructor(
    private readonly db: Database,
    private readonly flows: FlowRegistry,
  ) {}

  /** The file and text of a loaded flow; a 404 naming the flows there are otherwise. */
  loadedFlow(flowId: string) {
    const loaded = this.flows.loaded(flowId);
    if (!loaded)
      throw new NotFoundError(
        `flow "${flowId}" (loaded: ${
          this.flows
            .all()
            .map((f) => f.id)
            .join(', ') || 'none'
        })`,
      );
    return loaded;
  }

  /** Every version, newest first; the live file is imported as version 1 the first time. */
  async list(flowId: string): Promise<RevisionView[]> {
    await this.importLive(flowId);
    return this.db.prisma.flowRevision.findMany({ where: { flowId }, select: VIEW, orderBy: { number: 'desc' } });
  }

  async yaml(flowId: string, number: number): Promise<string> {
    await this.importLive(flowId);
    const row = await this.db.prisma.flowRevision.findUnique({ where: { flowId_number: { flowId, number } }, select: { yaml: true } });
    if (!row) throw new NotFoundError(`version ${number} of flow "${flowId}"`);
    return row.yaml;
  }

  /** The newest draft newer than the live version, if any. */
  async currentDraft(flowId: string): Promise<{ number: number; yaml: string } | undefined> {
    await this.importLive(flowId);
    const rows = await this.db.prisma.flowRevision.findMany({
      where: { flowId },
      select: { number: true, yaml: true, status: true },
      orderBy: { number: 'desc' },
      take: 1,
    });
    const newest = rows[0];
    return newest?.status === 'draft' ? { number: newest.number, yaml: newest.yaml } : undefined;
  }

  /** Saves a new draft version (earlier drafts are archived). */
  async saveDraft(flowId: string, yaml: string, by: string, note?: string): Promise<RevisionView> {
    await this.importLive(flowId);
    return this.db.write(async (tx) => {
      const last = await tx.flowRevision.findFirst({ where: { flowId }, select: { number: true }, orderBy: { number: 'desc' } });
      await tx.flowRevision.updateMany({ where: { flowId, status: 'draft' }, data: { status: 'archived' } });
      return tx.flowRevision.create({
        data: { id: newId(), flowId, number: (last?.number ?? 0) + 1, yaml, sha256: sha256(yaml), status: 'draft', createdBy: by, note: note ?? null },
        select: VIEW,
      });
    });
  }

  /** A new draft equal to an old version. */
  async rollback(flowId: string, number: number, by: string): Promise<RevisionView> {
    return this.saveDraft(flowId, await this.yaml(flowId, number), by, `rollback to version ${number}`);
  }

  /**
   * Makes a version live: refuses one that does not validate, writes it to the flow's file
   * (whole, under a temporary name, then renamed) and reloads the registry.
   */
  async publish(flowId: string, number: number): Promise<RevisionView> {
    const loaded = this.loadedFlow(flowId);
    const yaml = await this.yaml(flowId, number);
    const parsed = parseFlowFile(loaded.file, yaml);
    if (!parsed.ok) throw new UserError(`version ${number} does not validate: ${parsed.problems.map(formatProblem).join('; ')}`, 422);
    if (parsed.flow.id !== flowId) throw new UserError(`version ${number} is flow "${parsed.flow.id}", not "${flowId}": a flow's id cannot change`, 422);
    const path = resolve(loaded.file);
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, yaml);
    renameSync(temporary, path);
    const view = await this.db.write(async (tx) => {
      await tx.flowRevision.updateMany({ where: { flowId, status: 'live' }, data: { status: 'archived' } });
      return tx.flowRevision.update({ where: { flowId_number: { flowId, number } }, data: { status: 'live' }, select: VIEW });
    });
    await this.flows.reload();
    return view;
  }

  /** A unified diff (jsdiff) from version `from` to version `to`. */
  async diff(flowId: string, from: number, to: number): Promise<string> {
    const [a, b, { createTwoFilesPatch }] = await Promise.all([this.yaml(flowId, from), this.yaml(flowId, to), import('diff')]);
    return createTwoFilesPatch(`${flowId} version ${from}`, `${flowId} version ${to}`, a, b, undefined, undefined, { context: 3 });
  }

  /**
   * Running sessions per version. A session keeps the version of the file it started on
   * (FlowSession.flowVersion, the file's hash): that is the studio version with the same
   * sha256, the newest such when a rollback made two equal ones.
   */
  async sessionsByVersion(flowId: string): Promise<{ version: number | null; flowVersion: string; sessions: number }[]> {
    const [groups, revisions] = await Promise.all([
      this.db.prisma.flowSession.groupBy({ by: ['flowVersion'], where: { flowId, status: 'active' }, _count: { _all: true } }),
      this.db.prisma.flowRevision.findMany({ where: { flowId }, select: { number: true, sha256: true }, orderBy: { number: 'desc' } }),
    ]);
    return groups.map((g) => ({
      version: revisions.find((r) => versionOfSha(r.sha256) === g.flowVersion)?.number ?? null,
      flowVersion: g.flowVersion,
      sessions: g._count._all,
    }));
  }

  /** The live file as version 1, the first time the studio sees this flow; a file edited outside the studio becomes a new live version. */
  private async importLive(flowId: string): Promise<void> {
    const loaded = this.loadedFlow(flowId);
    const sha = sha256(loaded.source);
    const live = await this.db.prisma.flowRevision.findFirst({ where: { flowId, status: 'live' }, select: { sha256: true } });
    if (live?.sha256 === sha) return;
    await this.db.write(async (tx) => {
      const current = await tx.flowRevision.findFirst({ where: { flowId, status: 'live' }, select: { sha256: true } });
      if (current?.sha256 === sha) return;
      const last = await tx.flowRevision.findFirst({ where: { flowId }, select: { number: true }, orderBy: { number: 'desc' } });
      await tx.flowRevision.updateMany({ where: { flowId, status: 'live' }, data: { status: 'archived' } });
      await tx.flowRevision.create({
        data: { id: newId(), flowId, number: (last?.number ?? 0) + 1, yaml: loaded.source, sha256: sha, status: 'live', note: `read from ${loaded.file}` },
        select: { id: true },
      });
    });
  }
}
