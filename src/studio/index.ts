import type { FastifyInstance } from 'fastify';
import { registerStudioAuth, type StudioAuthDeps } from './auth.ts';
import { type StudioFlowsDeps, studioFlowsApi } from './flows/routes.ts';
import { studioCampaignsApi } from './campaigns-api.ts';
import { studioCustomersApi } from './customers-api.ts';
import { studioReportsApi } from './reports-api.ts';
import { registerStudioSite } from './site.ts';
import { studioUsersApi } from './users-api.ts';

export type StudioDeps = StudioAuthDeps &
  Omit<StudioFlowsDeps, 'now'> & {
    /** The reader's time zone: report days start and end on its clock (PARLEY_AGENT_TIMEZONE). */
    readonly timeZone?: string;
    /** How customer search reads a phone number without its country code (PARLEY_DEFAULT_REGION). */
    readonly defaultRegion?: string;
    /** Wakes the job runner after a campaign was started or resumed. */
    readonly onJobsQueued?: () => void;
  };

/**
 * Parley Studio on the server: its pages at /studio, login and sessions, and the API each
 * page reads under /studio/api. Every API route checks its roles with requireRole.
 */
export async function registerStudio(app: FastifyInstance, deps: StudioDeps): Promise<void> {
  const now = deps.now ?? (() => new Date());
  await registerStudioAuth(app, deps);
  await registerStudioSite(app);
  await app.register(async (scope) => studioUsersApi(scope, deps), { prefix: '/studio/api' });
  await app.register(async (scope) => studioFlowsApi(scope, { ...deps, now }), { prefix: '/studio/api' });
  await app.register(studioReportsApi, { prefix: '/studio/api', db: deps.db, now, timeZone: deps.timeZone ?? 'UTC' });
  await app.register(studioCustomersApi, { prefix: '/studio/api', db: deps.db, now, defaultRegion: deps.defaultRegion });
  await app.register(studioCampaignsApi, {
    prefix: '/studio/api',
    db: deps.db,
    now,
    flowExists: (id) => deps.flows.get(id) !== undefined,
    onJobsQueued: deps.onJobsQueued ?? (() => {}),
  });
}
