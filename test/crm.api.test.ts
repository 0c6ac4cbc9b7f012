import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Parley } from '../src/runtime.ts';
import { buildServer } from '../src/server/app.ts';
import { dialects, freshDatabase } from './support/databases.ts';
import { settle, testParley } from './support/parley.ts';

type TestDb = Awaited<ReturnType<typeof freshDatabase>>;
const TOKEN = 'test-token-123';

describe.each(dialects)('customers, merge and the REST API on %s', (dialect) => {
  let db: TestDb;
  let parley: Parley;
  let app: FastifyInstance;
  const auth = { authorization: `Bearer ${TOKEN}` };

  beforeEach(async () => {
    db = await freshDatabase(dialect);
    parley = await testParley(db, { env: { PARLEY_API_TOKEN: TOKEN } });
    await parley.startChannels();
    app = await buildServer(parley);
    await parley.inbox.accept({
      channel: 'whatsapp',
      externalId: 'w1',
      sender: { address: '+98 912 123 4567', addressKind: 'phone', displayName: 'علی رضایی' },
      text: 'سلام',
      raw: {},
    });
    await parley.inbox.accept({
      channel: 'email',
      externalId: '<m1@mail.example>',
      sender: { address: 'Ali.Rezaei@Example.com', addressKind: 'email', displayName: 'Ali Rezaei' },
      text: 'Hello, I wrote on WhatsApp too',
      raw: {},
    });
    await settle(parley);
  });

  afterEach(async () => {
    await app.close();
    await parley.stop();
    await db.dispose();
  });

  const get = (url: string, headers: Record<string, string> = auth) => app.inject({ method: 'GET', url, headers });

  it('answers health and readiness', async () => {
    expect((await get('/healthz', {})).json()).toEqual({ status: 'ok' });
    const ready = await get('/readyz', {});
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', database: 'ok' });
  });

  it('guards the API with the bearer token and says what is wrong', async () => {
    const missing = await get('/api/v1/customers?q=ali', {});
    expect(missing.statusCode).toBe(401);
    expect(missing.json().error.message).toMatch(/missing bearer token/);
    const wrong = await get('/api/v1/customers?q=ali', { authorization: 'Bearer nope' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.message).toMatch(/not valid/);
  });

  it('finds customers by phone in any digits, by email and by name in any letter form', async () => {
    const byPhone = (await get(`/api/v1/customers?q=${encodeURIComponent('۰۹۱۲ ۱۲۳ ۴۵۶۷')}`)).json();
    expect(byPhone.customers).toHaveLength(1);
    expect(byPhone.customers[0].identities).toEqual([{ channel: 'whatsapp', address: '+989121234567' }]);
    const byEmail = (await get('/api/v1/customers?q=ALI.REZAEI@example.com')).json();
    expect(byEmail.customers[0].name).toBe('Ali Rezaei');
    // Arabic yeh in the query, Persian yeh in the record.
    const byName = (await get(`/api/v1/customers?q=${encodeURIComponent('رضايي')}`)).json();
    expect(byName.customers.map((c: { name: string }) => c.name)).toEqual(['علی رضایی']);
  });

  it('says why a number-like query found nothing when the number cannot be read, and adds no hint to a name', async () => {
    // A UAE local number on a deployment whose only region is IR (the test config).
    const local = (await get(`/api/v1/customers?q=${encodeURIComponent('050 123 4567')}`)).json();
    expect(local.customers).toEqual([]);
    expect(local.hint).toMatch(/country code/);
    const name = (await get('/api/v1/customers?q=nobody-by-this-name')).json();
    expect(name).toEqual({ customers: [] });
  });

  it('matches % _ and \\ in a name search literally, not as LIKE wildcards', async () => {
    const names = async (q: string) => (await get(`/api/v1/customers?q=${encodeURIComponent(q)}`)).json().customers.map((c: { name: string }) => c.name);
    expect(await names('%')).toEqual([]);
    expect(await names('_')).toEqual([]);
    expect(await names('a_i')).toEqual([]);
    await parley.inbox.accept({
      channel: 'email',
      externalId: '<m2@mail.example>',
      sender: { address: 'club@example.com', addressKind: 'email', displayName: '100%_Club\\' },
      text: 'Hi',
      raw: {},
    });
    await settle(parley);
    expect(await names('%')).toEqual(['100%_Club\\']);
    expect(await names('0%_c')).toEqual(['100%_Club\\']);
    expect(await names('_')).toEqual(['100%_Club\\']);
    expect(await names('b\\')).toEqual(['100%_Club\\']);
    expect(await names('rezaei')).toEqual(['Ali Rezaei']);
  });

  it('rejects bad input with a message naming the field', async () => {
    const response = await get('/api/v1/conversations?status=closed');
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toMatch(/^query: status: /);
    const missing = await get('/api/v1/customers/nope');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.message).toBe('customer nope not found');
  });

  it('merges two records of one person, with an audit entry, and shows the whole customer', async () => {
    const [whatsapp] = (await get(`/api/v1/customers?q=${encodeURIComponent('+989121234567')}`)).json().customers;
    const [email] = (await get('/api/v1/customers?q=ali.rezaei@example.com')).json().customers;
    await db.prisma.customer.update({ where: { id: email.id }, data: { attributes: { city: 'Tehran', plan: 'gold' }, tags: ['vip'] } });
    await db.prisma.customer.update({ where: { id: whatsapp.id }, data: { attributes: { plan: 'silver' }, isKey: false } });

    const merged = await app.inject({ method: 'POST', url: `/api/v1/customers/${whatsapp.id}/merge`, headers: auth, payload: { mergeId: email.id } });
    expect(merged.statusCode).toBe(200);
    expect(merged.json().merge).toMatchObject({ moved: { identities: 1, conversations: 1 }, attributeConflicts: ['plan'] });

    const view = (await get(`/api/v1/customers/${whatsapp.id}`)).json().customer;
    expect(view.identities.map((i: { channel: string }) => i.channel).sort()).toEqual(['email', 'whatsapp']);
    expect(view.conversations).toHaveLength(2);
    expect(view.attributes).toEqual({ city: 'Tehran', plan: 'silver' });
    expect(view.tags).toEqual(['vip']);
    expect(view.mergedFrom).toEqual([{ id: email.id, name: 'Ali Rezaei' }]);
    // The absorbed id still answers, with the surviving record.
    expect((await get(`/api/v1/customers/${email.id}`)).json().customer.id).toBe(whatsapp.id);
    const audit = await db.prisma.auditLog.findFirstOrThrow({ where: { action: 'customer.merge' } });
    expect(audit).toMatchObject({ actor: 'api', entityId: whatsapp.id });

    const again = await app.inject({ method: 'POST', url: `/api/v1/customers/${whatsapp.id}/merge`, headers: auth, payload: { mergeId: email.id } });
    expect(again.statusCode).toBe(409);

    // The next email from the absorbed address lands on the surviving customer.
    await parley.inbox.accept({
      channel: 'email',
      externalId: '<m2@mail.example>',
      sender: { address: 'ali.rezaei@example.com', addressKind: 'email' },
      text: 'me again',
      raw: {},
    });
    await settle(parley);
    const conversations = (await get(`/api/v1/conversations?customerId=${whatsapp.id}&channel=email`)).json().conversations;
    expect(conversations).toHaveLength(1);
    const messages = (await get(`/api/v1/conversations/${conversations[0].id}/messages`)).json().messages;
    expect(messages.filter((m: { direction: string }) => m.direction === 'inbound').map((m: { text: string }) => m.text)).toEqual([
      'Hello, I wrote on WhatsApp too',
      'me again',
    ]);
  });

  it('lists conversations by status and channel', async () => {
    const bot = (await get('/api/v1/conversations?status=bot&channel=whatsapp')).json().conversations;
    expect(bot).toHaveLength(1);
    expect(bot[0].customer.name).toBe('علی رضایی');
    expect((await get('/api/v1/conversations?status=resolved')).json().conversations).toEqual([]);
  });
});
