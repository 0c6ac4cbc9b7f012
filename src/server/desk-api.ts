import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { deleteCanned, listCanned, saveCanned } from '../desk/canned.ts';
import type { Desk } from '../desk/desk.ts';
import type { Database } from '../db/database.ts';

export interface DeskApiOptions {
  readonly db: Database;
  readonly desk: Desk;
}

const IdParams = z.object({ id: z.string().min(1).describe('a conversation id or ticket reference') });

/** Agent operations and canned responses under /api/v1 (behind the API's bearer token). */
export const deskApi: FastifyPluginAsyncZod<DeskApiOptions> = async (app, { db, desk }) => {
  const conversationAfter = async (idOrRef: string) => ({ conversation: await desk.findConversation(idOrRef) });

  app.post('/conversations/:id/resolve', { schema: { summary: 'Resolve a conversation', params: IdParams } }, async (request) => {
    const { id } = request.params;
    await desk.resolve((await desk.findConversation(id)).id, 'api');
    return conversationAfter(id);
  });

  app.post(
    '/conversations/:id/assign',
    { schema: { summary: 'Assign a conversation to an agent (null: unassign)', params: IdParams, body: z.object({ agentId: z.string().min(1).nullable() }) } },
    async (request) => {
      const { id } = request.params;
      await desk.assign((await desk.findConversation(id)).id, request.body.agentId, 'api');
      return conversationAfter(id);
    },
  );

  app.post('/conversations/:id/hand-back', { schema: { summary: 'Hand a conversation back to the bot', params: IdParams } }, async (request) => {
    const { id } = request.params;
    await desk.handBack((await desk.findConversation(id)).id, 'api');
    return conversationAfter(id);
  });

  app.post(
    '/conversations/:id/transfer',
    {
      schema: {
        summary: 'Transfer a conversation to another team',
        params: IdParams,
        body: z.object({ team: z.string().min(1), note: z.string().optional() }),
      },
    },
    async (request) => {
      const { id } = request.params;
      await desk.transfer((await desk.findConversation(id)).id, request.body.team, 'api', request.body.note);
      return conversationAfter(id);
    },
  );

  app.post(
    '/conversations/:id/snooze',
    { schema: { summary: 'Snooze a conversation until a time', params: IdParams, body: z.object({ until: z.iso.datetime({ offset: true }) }) } },
    async (request) => {
      const { id } = request.params;
      await desk.snooze((await desk.findConversation(id)).id, new Date(request.body.until), 'api');
      return conversationAfter(id);
    },
  );

  app.post(
    '/conversations/:id/reply',
    {
      schema: {
        summary: 'Reply to the customer as an agent, or write an internal note; text or a canned response',
        params: IdParams,
        body: z
          .object({ agentId: z.string().min(1), text: z.string().min(1).optional(), canned: z.string().min(1).optional(), note: z.boolean().default(false) })
          .refine((b) => b.text || b.canned, { message: 'give text or canned (a canned response name)' }),
      },
    },
    async (request, reply) => {
      const body = request.body;
      const conversation = await desk.findConversation(request.params.id);
      const text = body.canned ? await desk.renderCanned(body.canned, conversation.id, body.agentId) : (body.text as string);
      const result = body.note
        ? await desk.note({ conversationId: conversation.id, agentId: body.agentId, text })
        : await desk.reply({ conversationId: conversation.id, agentId: body.agentId, text });
      return reply.status(202).send({ messageId: result.messageId, text, note: body.note });
    },
  );

  app.get('/canned-responses', { schema: { summary: 'List the canned responses' } }, async () => ({ cannedResponses: await listCanned(db) }));

  app.put(
    '/canned-responses/:name',
    { schema: { summary: 'Create or replace a canned response', params: z.object({ name: z.string().min(1) }), body: z.object({ text: z.string().min(1) }) } },
    async (request) => ({ cannedResponse: await saveCanned(db, request.params.name, request.body.text) }),
  );

  app.delete(
    '/canned-responses/:name',
    { schema: { summary: 'Delete a canned response', params: z.object({ name: z.string().min(1) }) } },
    async (request, reply) => {
      await deleteCanned(db, request.params.name);
      return reply.status(204).send();
    },
  );
};
