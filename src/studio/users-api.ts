import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requireRole } from './auth.ts';
import { studioScope } from './http.ts';
import { MAX_PASSWORD_LENGTH } from './passwords.ts';
import { STUDIO_ACCESS } from './roles.ts';
import { addStudioUser, listStudioUsers, removeStudioUser, StudioEmail, StudioRoleSchema } from './users.ts';
import type { Database } from '../db/database.ts';

/** Studio users for admins: list, add, remove (the same operations as `parley users`). */
export async function studioUsersApi(plain: FastifyInstance, { db }: { db: Database }): Promise<void> {
  const app = studioScope(plain);
  const admin = { preHandler: requireRole(...STUDIO_ACCESS.users) };
  app.get('/users', admin, async () => ({ users: await listStudioUsers(db) }));
  app.post(
    '/users',
    { ...admin, schema: { body: z.object({ email: StudioEmail, role: StudioRoleSchema, password: z.string().max(MAX_PASSWORD_LENGTH) }).strict() } },
    async (request, reply) => reply.status(201).send({ user: await addStudioUser(db, request.body) }),
  );
  app.delete('/users/:email', { ...admin, schema: { params: z.object({ email: z.string().min(1) }) } }, async (request) => {
    await removeStudioUser(db, request.params.email);
    return { removed: request.params.email.toLowerCase() };
  });
}
