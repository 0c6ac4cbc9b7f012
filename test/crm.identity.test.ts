import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../src/cli/program.ts';
import { newId, newRef } from '../src/core/ids.ts';
import type { Parley } from '../src/runtime.ts';
import { buildServer } from '../src/server/app.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';
import { FakeAdapter, settle, testParley } from './support/parley.ts';

const TOKEN = 'identity-test-token';
const auth = { authorization: `Bearer ${TOKEN}` };

/** Runs one command line in this process against `db`, as `parley` would, and captures stdout. */
async function cli(db: TestDatabase, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  for (const [name, value] of Object.entries({ DATABASE_URL: db.url, PARLEY_DEFAULT_REGION: 'IR', LOG_LEVEL: 'warn', ...env })) vi.stubEnv(name, value);
  try {
    return { code: await runCli(args), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    vi.unstubAllEnvs();
  }
}

describe.each(dialects)('one person one customer, key customers and the queue on %s', (dialect) => {
  let db: TestDatabase;
  let parley: Parley;
  let app: FastifyInstance;

  async function start(env: Record<string, string> = {}) {
    db = await freshDatabase(dialect);
    parley = await testParley(db, { adapters: [new FakeAdapter('whatsapp'), new FakeAdapter('sms')], env: { PARLEY_API_TOKEN: TOKEN, ...env } });
    await parley.startChannels();
    app = await buildServer(parley);
  }

  afterEach(async () => {
    await app?.close();
    await parley?.stop();
    await db?.dispose();
  });

  const get = (url: string) => app.inject({ method: 'GET', url, headers: auth });
  const post = (url: string, payload?: object) => app.inject({ method: 'POST', url, headers: auth, payload });
  const message = (channel: string, externalId: string, address: string, text: string, displayName?: string) =>
    parley.inbox.accept({ channel, externalId, sender: { address, addressKind: 'phone', displayName }, text, raw: {} });

  it('the same number on WhatsApp and then SMS is one customer, the SMS identity joining the existing record', async () => {
    await start();
    await message('whatsapp', 'w1', '+98 912 123 4567', 'سلام', 'علی');
    await settle(parley);
    await message('sms', 's1', '09121234567', 'hi by sms');
    await settle(parley);
    const customers = await db.prisma.customer.findMany({ include: { identities: true, conversations: true } });
    expect(customers).toHaveLength(1);
    expect(customers[0]?.identities.map((i) => `${i.channel}:${i.address}`).sort()).toEqual(['sms:+989121234567', 'whatsapp:+989121234567']);
    // Each channel has its own conversation, both on the one customer.
    expect(customers[0]?.conversations.map((c) => c.channel).sort()).toEqual(['sms', 'whatsapp']);
    expect(customers[0]?.name).toBe('علی');
  });

  it('with linking off the number is proposed as a merge; accept, list, undo restores both records', async () => {
    await start({ PARLEY_LINK_SAME_PHONE: 'false' });
    await message('whatsapp', 'w1', '+989121234567', 'first', 'Ali');
    await settle(parley);
    await message('sms', 's1', '+989121234567', 'second', 'Ali Rezaei');
    await settle(parley);
    const [older, newer] = await db.prisma.customer.findMany({ orderBy: { firstSeenAt: 'asc' } });
    if (!older || !newer) throw new Error('two customers expected');
    await db.prisma.customer.update({ where: { id: older.id }, data: { attributes: { plan: 'silver' } } });
    await db.prisma.customer.update({ where: { id: newer.id }, data: { attributes: { plan: 'gold', city: 'Tehran' } } });

    const suggestions = (await get('/api/v1/merge-suggestions')).json().suggestions;
    expect(suggestions).toHaveLength(1);
    expect(suggestions[0]).toMatchObject({ customerId: older.id, otherId: newer.id, matchedBy: 'phone', value: '+989121234567', status: 'pending' });

    const accepted = await post(`/api/v1/merge-suggestions/${suggestions[0].id}/accept`);
    expect(accepted.statusCode).toBe(200);
    const merge = accepted.json().merge;
    expect(merge.conflicts).toEqual([
      { field: 'name', kept: 'Ali', absorbed: 'Ali Rezaei' },
      { field: 'attributes.plan', kept: 'silver', absorbed: 'gold' },
    ]);
    expect((await post(`/api/v1/merge-suggestions/${suggestions[0].id}/reject`)).statusCode).toBe(409);

    const listed = (await get(`/api/v1/merges?customerId=${newer.id}`)).json().merges;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ id: merge.mergeId, actor: 'api', keptId: older.id, absorbedId: newer.id, undoneAt: null });
    expect(listed[0].moved.identities).toHaveLength(1);
    expect(listed[0].moved.conversations).toHaveLength(1);
    const mergedView = (await get(`/api/v1/customers/${older.id}`)).json().customer;
    expect(mergedView.attributes).toEqual({ plan: 'silver', city: 'Tehran' });
    expect(mergedView.identities).toHaveLength(2);

    const undone = await post(`/api/v1/merges/${merge.mergeId}/undo`);
    expect(undone.statusCode).toBe(200);
    expect(undone.json().merge.undoneBy).toBe('api');
    const after = await db.prisma.customer.findMany({ orderBy: { firstSeenAt: 'asc' }, include: { identities: true, conversations: true } });
    expect(after.map((c) => [c.mergedIntoId, c.attributes, c.identities.map((i) => i.channel), c.conversations.map((v) => v.channel)])).toEqual([
      [null, { plan: 'silver' }, ['whatsapp'], ['whatsapp']],
      [null, { plan: 'gold', city: 'Tehran' }, ['sms'], ['sms']],
    ]);
    expect((await post(`/api/v1/merges/${merge.mergeId}/undo`)).statusCode).toBe(409);
    // The suggestion that led to the undone merge is not proposed again.
    expect((await get('/api/v1/merge-suggestions?status=rejected')).json().suggestions).toHaveLength(1);

    // The command line merges, lists and undoes the same way.
    const merged = await cli(db, ['customers', 'merge', older.id, newer.id]);
    expect(merged.code).toBe(0);
    const mergeId = /undo with: parley customers unmerge (\S+)/.exec(merged.stdout)?.[1];
    expect(mergeId).toBeDefined();
    expect(merged.stdout).toContain('conflicts: name: kept "Ali", other "Ali Rezaei"');
    const merges = await cli(db, ['customers', 'merges']);
    expect(merges.stdout).toContain(`${mergeId}`);
    expect(merges.stdout).toContain('by cli');
    expect((await cli(db, ['customers', 'unmerge', mergeId as string])).stdout).toContain('undone');
    expect(await db.prisma.customer.count({ where: { mergedIntoId: null } })).toBe(2);
  });

  it('key customers by API and CLI; churn explained; the 360 reads as text', async () => {
    await start();
    await message('whatsapp', 'w1', '+989121234567', 'سفارشم نرسيده', 'مریم');
    await settle(parley);
    const customer = await db.prisma.customer.findFirstOrThrow();
    const conversation = await db.prisma.conversation.findFirstOrThrow();
    await db.prisma.ticket.create({
      data: { id: newId(), ref: newRef(), customerId: customer.id, conversationId: conversation.id, kind: 'complaint', subject: 'Late order', fields: {} },
    });
    await db.prisma.surveyResponse.create({ data: { id: newId(), customerId: customer.id, conversationId: conversation.id, kind: 'csat', score: 1 } });

    const set = await app.inject({
      method: 'PUT',
      url: `/api/v1/customers/${customer.id}/key`,
      headers: auth,
      payload: { key: true, reason: 'enterprise contract' },
    });
    expect(set.json().key).toEqual({ customerId: customer.id, isKey: true, keyReason: 'manual: enterprise contract', keySource: 'manual' });
    const churn = (await get(`/api/v1/customers/${customer.id}/churn`)).json().churn;
    expect(churn.explanation).toEqual([
      { feature: 'daysInactive', value: 0, points: 0 },
      { feature: 'complaints', value: 1, points: 8.3 },
      { feature: 'lowRatings', value: 1, points: 6.7 },
      { feature: 'openTickets', value: 1, points: 5 },
    ]);
    expect(churn).toMatchObject({ score: 20, band: 'low' });

    const unset = await cli(db, ['customers', 'key', customer.id, '--unset', '--reason', 'contract ended']);
    expect(unset.stdout).toContain('no longer a key customer (manual: contract ended)');
    expect(await db.prisma.customer.findUniqueOrThrow({ where: { id: customer.id } })).toMatchObject({ isKey: false, keyReason: 'manual: contract ended' });

    const show = await cli(db, ['customers', 'show', customer.id]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('مریم');
    expect(show.stdout).toContain('churn risk: 20 (low): 1 complaints +8.3, 1 low ratings +6.7, 1 open tickets +5');
    expect(show.stdout).toContain('Open tickets (1 of 1)');
    expect(show.stdout).toContain(`Last transcript (${conversation.ref})`);
    expect(show.stdout).toContain('customer: سفارشم نرسيده');
    const asJson = JSON.parse((await cli(db, ['customers', 'show', customer.id, '--json'])).stdout);
    expect(asJson.id).toBe(customer.id);

    // For Persian-speaking agents: their words, Persian digits, Jalali dates on Tehran's clock.
    await db.prisma.customer.update({ where: { id: customer.id }, data: { firstSeenAt: new Date('2026-03-20T21:00:00Z') } });
    const fa = { PARLEY_AGENT_LOCALE: 'fa', PARLEY_AGENT_TIMEZONE: 'Asia/Tehran' };
    const persian = (await cli(db, ['customers', 'show', customer.id], fa)).stdout;
    expect(persian).toContain('نخستین بار ۱۴۰۵/۰۱/۰۱ ۰۰:۳۰');
    expect(persian).toContain('خطر ریزش: ۲۰ (کم): ۱ شکایت +۸.۳، ۱ امتیاز پایین +۶.۷، ۱ تیکت باز +۵');
    expect(persian).toContain('تیکت‌های باز (۱ از ۱)');
    expect(persian).toContain(`آخرین گفتگو (${conversation.ref})`);
    expect(persian).toContain('مشتری: سفارشم نرسيده');
    expect(persian).not.toMatch(/Open tickets|churn risk|\d{4}-\d{2}-\d{2}/);
  });

  it('tickets list and search, message search with letter variants, tags, and the one short ref', async () => {
    await start();
    await message('whatsapp', 'w1', '+989121234567', 'كد پيگيري ۱۲۳۴', 'Sara');
    await message('whatsapp', 'w2', '+971501234567', 'hello there', 'Omar');
    await settle(parley);
    const [sara, omar] = await Promise.all([
      db.prisma.conversation.findFirstOrThrow({ where: { identity: { address: '+989121234567' } } }),
      db.prisma.conversation.findFirstOrThrow({ where: { identity: { address: '+971501234567' } } }),
    ]);
    const agent = await db.prisma.agent.create({ data: { id: newId(), name: 'Reza' } });
    await db.prisma.conversation.update({ where: { id: sara.id }, data: { assigneeId: agent.id, status: 'assigned' } });
    const old = new Date(Date.now() - 3 * 86_400_000);
    await db.prisma.ticket.create({
      data: {
        id: newId(),
        ref: 'TKOLD001',
        customerId: sara.customerId,
        conversationId: sara.id,
        kind: 'complaint',
        category: 'delivery',
        subject: 'Late',
        fields: {},
        createdAt: old,
      },
    });
    await db.prisma.ticket.create({
      data: {
        id: newId(),
        ref: 'TKNEW001',
        customerId: omar.customerId,
        conversationId: omar.id,
        kind: 'question',
        subject: 'Price',
        fields: {},
        status: 'resolved',
      },
    });

    const refs = async (query: string) => (await get(`/api/v1/tickets${query}`)).json().tickets.map((t: { ref: string }) => t.ref);
    expect(await refs('')).toEqual(['TKOLD001', 'TKNEW001']);
    expect(await refs('?status=open,in_progress')).toEqual(['TKOLD001']);
    expect(await refs('?kind=question')).toEqual(['TKNEW001']);
    expect(await refs('?category=delivery')).toEqual(['TKOLD001']);
    expect(await refs(`?assignee=${agent.id}`)).toEqual(['TKOLD001']);
    expect(await refs('?assignee=none')).toEqual(['TKNEW001']);
    expect(await refs('?olderThan=2d')).toEqual(['TKOLD001']);
    expect(await refs('?newerThan=1d')).toEqual(['TKNEW001']);
    const bad = await get('/api/v1/tickets?status=pending');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('"pending" is not a ticket status');
    const [listed] = (await get('/api/v1/tickets?category=delivery')).json().tickets;
    expect(listed).toMatchObject({ conversation: { id: sara.id, ref: sara.ref }, assignee: { id: agent.id, name: 'Reza' }, customer: { name: 'Sara' } });
    expect(listed.ageMinutes).toBeGreaterThanOrEqual(3 * 1440);
    const table = await cli(db, ['tickets', 'list', '--status', 'open', '--kind', 'complaint']);
    expect(table.stdout).toMatch(/^TKOLD001 {2}open {2}complaint\/delivery {2}normal {2}3d {2}Sara {2}Reza conv \S+ {2}Late\n$/);
    const persianTable = await cli(db, ['tickets', 'list', '--status', 'open', '--kind', 'complaint'], { PARLEY_AGENT_LOCALE: 'fa' });
    expect(persianTable.stdout).toMatch(/^TKOLD001 {2}open {2}complaint\/delivery {2}normal {2}۳ روز {2}Sara {2}Reza گفتگو \S+ {2}Late\n$/);
    expect((await cli(db, ['tickets', 'list', '--category', 'nothing-here'], { PARLEY_AGENT_LOCALE: 'ar' })).stdout).toBe('لا تذاكر\n');

    // Persian letters and digits in the query find the Arabic forms in the message, and back.
    const found = (await get(`/api/v1/messages/search?q=${encodeURIComponent('کد پیگیری 1234')}`)).json().messages;
    expect(found.map((m: { text: string; conversationRef: string }) => [m.text, m.conversationRef])).toEqual([['كد پيگيري ۱۲۳۴', sara.ref]]);
    expect((await get(`/api/v1/messages/search?q=${encodeURIComponent('HELLO')}`)).json().messages).toHaveLength(1);
    expect((await cli(db, ['messages', 'search', 'پیگیری'])).stdout).toContain(`${sara.ref}  whatsapp  Sara: كد پيگيري ۱۲۳۴`);

    // Tags on a conversation by its short ref, on a customer by id.
    const added = await post(`/api/v1/conversations/${sara.ref?.toLowerCase()}/tags`, { tags: ['vip', 'delivery'] });
    expect(added.json().tags).toEqual(['vip', 'delivery']);
    const removed = await app.inject({ method: 'DELETE', url: `/api/v1/conversations/${sara.id}/tags/vip`, headers: auth });
    expect(removed.json().tags).toEqual(['delivery']);
    expect((await post(`/api/v1/customers/${omar.customerId}/tags`, { tags: ['a,b'] })).json().error.message).toBe(
      'tags[0] "a,b": a tag cannot contain a comma',
    );
    expect((await cli(db, ['customers', 'tag', omar.customerId, 'gold'])).stdout).toBe('gold\n');
    expect((await get(`/api/v1/customers/${omar.customerId}/tags`)).json().tags).toEqual(['gold']);

    // The ref is the handle of the API's list, the CLI, and /resolve.
    const api = (await get('/api/v1/conversations?channel=whatsapp')).json().conversations;
    expect(api.map((c: { ref: string }) => c.ref).sort()).toEqual([sara.ref, omar.ref].sort());
    expect((await cli(db, ['conversations', 'list'])).stdout).toContain(`${sara.ref}  ${sara.id}`);
    expect((await cli(db, ['conversations', 'show', sara.ref as string])).stdout).toContain('كد پيگيري');
    const resolved = await post(`/api/v1/conversations/${sara.ref}/resolve`);
    expect(resolved.json().conversation).toMatchObject({ id: sara.id, status: 'resolved' });
  });
});
