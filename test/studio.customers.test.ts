import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../src/core/ids.ts';
import type { Parley } from '../src/runtime.ts';
import { buildServer } from '../src/server/app.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';
import { settle, testParley } from './support/parley.ts';
import { logIn, studioUser } from './support/studio.ts';

describe.each(dialects)('studio customers and tickets on %s', (dialect) => {
  let db: TestDatabase;
  let parley: Parley;
  let app: FastifyInstance;
  let ali: string;
  let sara: string;

  beforeEach(async () => {
    db = await freshDatabase(dialect);
    parley = await testParley(db, { env: { PARLEY_DEFAULT_REGION: 'IR' } });
    await parley.startChannels();
    app = await buildServer(parley);
    await parley.inbox.accept({
      channel: 'whatsapp',
      externalId: 'w1',
      sender: { address: '+98 912 123 4567', addressKind: 'phone', displayName: 'علی رضایی' },
      text: 'سفارشم نرسیده',
      raw: {},
    });
    await parley.inbox.accept({
      channel: 'email',
      externalId: '<m1@mail.example>',
      sender: { address: 'Sara@Example.com', addressKind: 'email', displayName: 'Sara Ahmadi' },
      text: 'Hello',
      raw: {},
    });
    await settle(parley);
    const customers = await db.prisma.customer.findMany({ select: { id: true, name: true } });
    ali = customers.find((c) => c.name === 'علی رضایی')!.id;
    sara = customers.find((c) => c.name === 'Sara Ahmadi')!.id;
    const conversation = await db.prisma.conversation.findFirstOrThrow({ where: { customerId: ali }, select: { id: true } });
    for (const [ref, kind, status, subject, createdAt] of [
      ['T-DELAY1', 'complaint', 'open', 'سفارش دیر رسید', '2026-03-01T00:00:00Z'],
      ['T-REFUND', 'request', 'resolved', 'Refund please', '2026-03-02T00:00:00Z'],
    ] as const)
      await db.prisma.ticket.create({
        data: {
          id: newId(),
          ref,
          customerId: ali,
          conversationId: conversation.id,
          kind,
          status,
          category: 'delivery',
          subject,
          fields: {},
          createdAt: new Date(createdAt),
        },
        select: { id: true },
      });
    await db.prisma.surveyResponse.create({ data: { id: newId(), customerId: ali, kind: 'csat', score: 2 }, select: { id: true } });
    await db.prisma.mergeSuggestion.create({
      data: { id: newId(), customerId: ali, otherId: sara, matchedBy: 'phone', value: '+989121234567' },
      select: { id: true },
    });
    for (const role of ['agent', 'marketer'] as const) await studioUser(db, `${role}@example.com`, role);
  });

  afterEach(async () => {
    await app.close();
    await parley.stop();
    await db.dispose();
  });

  it('an agent finds a customer by any phone format, email or name, and reads the 360 view and a transcript', async () => {
    const cookie = (await logIn(app, 'agent@example.com')).read.cookie;
    const get = (url: string) => app.inject({ method: 'GET', url, headers: { cookie } });
    const ids = async (q: string) => (await get(`/studio/api/customers?q=${encodeURIComponent(q)}`)).json().customers.map((c: { id: string }) => c.id);
    for (const q of ['0912 123 4567', '۰۹۱۲۱۲۳۴۵۶۷', '+98-912-1234567', 'رضايي']) expect(await ids(q), q).toEqual([ali]);
    expect(await ids('sara@example.com')).toEqual([sara]);
    // A digit too many: nobody, and why.
    const unread = (await get(`/studio/api/customers?q=${encodeURIComponent('0912 123 45678')}`)).json();
    expect(unread.customers).toEqual([]);
    expect(unread.hint).toEqual(expect.any(String));

    const view = await get(`/studio/api/customers/${ali}`);
    expect(view.statusCode).toBe(200);
    const { customer, suggestions } = view.json();
    expect(customer.identities.map((i: { address: string }) => i.address)).toEqual(['+989121234567']);
    expect(customer.conversations).toHaveLength(1);
    expect(customer.tickets.map((t: { ref: string }) => t.ref)).toEqual(['T-REFUND', 'T-DELAY1']);
    expect(customer.surveyResponses).toMatchObject([{ kind: 'csat', score: 2 }]);
    expect(customer.lifecycleStage).toBe('new');
    expect(customer.churn).toMatchObject({ customerId: ali, band: expect.any(String), score: expect.any(Number) });
    expect(suggestions).toMatchObject([{ customerId: ali, otherId: sara, matchedBy: 'phone', value: '+989121234567', status: 'pending' }]);
    // Sara's view lists the same suggestion (she is its other side).
    expect((await get(`/studio/api/customers/${sara}`)).json().suggestions).toHaveLength(1);

    const transcript = await get(`/studio/api/conversations/${customer.conversations[0].id}/messages`);
    expect(transcript.json().messages[0]).toMatchObject({ direction: 'inbound', text: 'سفارشم نرسیده' });
    expect((await get('/studio/api/customers/nobody')).statusCode).toBe(404);
    expect((await get('/studio/api/customers?q=')).statusCode).toBe(400);
  });

  it('lists tickets by status, kind, category and text', async () => {
    const cookie = (await logIn(app, 'agent@example.com')).read.cookie;
    const refs = async (query: string) =>
      (await app.inject({ method: 'GET', url: `/studio/api/tickets?${query}`, headers: { cookie } })).json().tickets.map((t: { ref: string }) => t.ref);
    expect(await refs('')).toEqual(['T-DELAY1', 'T-REFUND']);
    expect(await refs('status=open,in_progress')).toEqual(['T-DELAY1']);
    expect(await refs('kind=request')).toEqual(['T-REFUND']);
    expect(await refs('category=delivery&q=Refund')).toEqual(['T-REFUND']);
    expect(await refs(`q=${encodeURIComponent('دیر')}`)).toEqual(['T-DELAY1']);
    const bad = await app.inject({ method: 'GET', url: '/studio/api/tickets?status=lost', headers: { cookie } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/"lost" is not a ticket status/);
  });

  it('a marketer may not read customers or tickets; without a session nobody may', async () => {
    const cookie = (await logIn(app, 'marketer@example.com')).read.cookie;
    for (const url of ['/studio/api/customers?q=ali', `/studio/api/customers/${ali}`, '/studio/api/tickets']) {
      expect((await app.inject({ method: 'GET', url, headers: { cookie } })).statusCode, url).toBe(403);
      const nobody = await app.inject({ method: 'GET', url });
      expect(nobody.statusCode, url).toBe(401);
      expect(nobody.body).not.toContain(ali);
    }
    expect((await app.inject({ method: 'GET', url: `/studio/api/conversations/x/messages` })).statusCode).toBe(401);
  });
});
