import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { deleteCanned, listCanned, saveCanned } from '../desk/canned.ts';
import type { Desk } from '../desk/desk.ts';
import type { Database } from '../db/database.ts';
import { parseInput } from './errors.ts';

export interface DeskApiOptions {
  readonly db: Database;
  readonly desk: Desk;
}

const IdParams = z.object({ id: z.string().min(1) });

/** Agent operations and canned responses under /api/v1 (behind the API's bearer token). */
export const deskApi: FastifyPluginAsync<DeskApiOptions> = async (app, { db, desk }) => {
  const conversationAfter = async (idOrRef: string) => ({ conversation: await desk.findConversation(idOrRef) });

  app.post('/conversations/:id/resolve', async (request) => {
    const { id } = parseInput(IdParams, request.params, 'path');
    await desk.resolve((await desk.findConversation(id)).id, 'api');
    return conversationAfter(id);
  });

  app.post('/conversations/:id/assign', async (request) => {
    const { id } = parseInput(IdParams, request.params, 'path');
    const body = parseInput(z.object({ agentId: z.string().min(1).nullable() }), request.body ?? {}, 'body');
    await desk.assign((await desk.findConversation(id)).id, body.agentId, 'api');
    return conversationAfter(id);
  });

  app.post('/conversations/:id/hand-back', async (request) => {
    const { id } = parseInput(IdParams, request.params, 'path');
    await desk.handBack((await desk.findConversation(id)).id, 'api');
    return conversationAfter(id);
  });

  app.post('/conversations/:id/transfer', async (request) => {
    const { id } = parseInput(IdParams, request.params, 'path');
    const body = parseInput(z.object({ team: z.string().min(1), note: z.string().optional() }), request.body ?? {}, 'body');
    await desk.transfer((await desk.findConversation(id)).id, body.team, 'api', body.note);
    return conversationAfter(id);
  });

  app.post('/conversations/:id/snooze', async (request) => {
    const { id } = parseInput(IdParams, request.params, 'path');
    const body = parseInput(z.object({ until: z.iso.datetime({ offset: true }) }), request.body ?? {}, 'body');
    await desk.snooze((await desk.findConversation(id)).id, new Date(body.until), 'api');
    return conversationAfter(id);
  });

  app.post('/conversations/:id/reply', async (request, reply) => {
    const { id } = parseInput(IdParams, request.params, 'path');
    const body = parseInput(
      z
        .object({ agentId: z.string().min(1), text: z.string().min(1).optional(), canned: z.string().min(1).optional(), note: z.boolean().default(false) })
        .refine((b) => b.text || b.canned, {
          message: 'give text or canned (a canned response name)',
        }),
      request.body ?? {},
      'body',
    );
    const conversation = await desk.findConversation(id);
    const text = body.canned ? await desk.renderCanned(body.canned, conversation.id, body.agentId) : (body.text as string);
    const result = body.note
      ? await desk.note({ conversationId: conversation.id, agentId: body.agentId, text })
      : await desk.reply({ conversationId: conversation.id, agentId: body.agentId, text });
    return reply.status(202).send({ messageId: result.messageId, text, note: body.note });
  });

  app.get('/canned-responses', async () => ({ cannedResponses: await listCanned(db) }));

  app.put('/canned-responses/:name', async (request) => {
    const { name } = parseInput(z.object({ name: z.string().min(1) }), request.params, 'path');
    const body = parseInput(z.object({ text: z.string().min(1) }), request.body ?? {}, 'body');
    return { cannedResponse: await saveCanned(db, name, body.text) };
  });

  app.delete('/canned-responses/:name', async (request, reply) => {
    const { name } = parseInput(z.object({ name: z.string().min(1) }), request.params, 'path');
    await deleteCanned(db, name);
    return reply.status(204).send();
  });
};
