import type { FastifyInstance } from 'fastify';
import { registerStudioAuth, type StudioAuthDeps } from './auth.ts';
import { registerStudioSite } from './site.ts';

export type StudioDeps = StudioAuthDeps;

/**
 * Parley Studio on the server: its pages at /studio, login and sessions, and the API each
 * page reads under /studio/api. Every API route checks its roles with requireRole.
 */
export async function registerStudio(app: FastifyInstance, deps: StudioDeps): Promise<void> {
  await registerStudioAuth(app, deps);
  await registerStudioSite(app);
}
