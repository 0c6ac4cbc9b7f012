import { OutreachPacer, outreachBudget } from '../src/contact/outreach-pace.ts';
import { contactPolicyFrom, recordContact } from '../src/contact/policy.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { UserError } from '../src/core/errors.ts';
import type { DomainEventOf } from '../src/core/events.ts';
import { newId } from '../src/core/ids.ts';
import { resolveConversation } from '../src/crm/conversations.ts';
import { conversationRef } from '../src/desk/desk.ts';
import { HumanHandledConversation } from '../src/pipeline/handler.ts';
import { AlertsConfigSchema } from '../src/routing/alerts.ts';
import { RoutingConfigSchema } from '../src/routing/config.ts';
import { buildReport } from '../src/routing/reports.ts';
import { formatOpening } from '../src/routing/texts.ts';
import { changeTicketStatus } from '../src/routing/tickets.ts';
import type { Parley } from '../src/runtime.ts';
import { buildServer } from '../src/server/app.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';
import { FakeAdapter, settle, testParley } from './support/parley.ts';
import { handOff, MIN, RecordingNotifier, weekdays } from './support/routing.ts';

describe.each(dialects)('routing on %s', (dialect) => {
  let db: TestDatabase;
  let parley: Parley;
  let adapter: FakeAdapter;
  let notifier: RecordingNotifier;
  let clock: Date;

  async function start(routing: unknown, alerts: unknown = {}, env: Record<string, string> = {}) {
    db = await freshDatabase(dialect);
    adapter = new FakeAdapter();
    notifier = new RecordingNotifier();
    const human = new HumanHandledConversation();
    parley = await testParley(db, {
      adapters: [adapter],
      handlers: (c) => (c.status === 'bot' ? handOff : human),
      now: () => clock,
      routingConfig: RoutingConfigSchema.parse(routing),
      alertsConfig: AlertsConfigSchema.parse(alerts),
      notifier,
      env,
    });
    await parley.startChannels();
  }
  afterEach(async () => {
    await parley?.stop();
    await db?.dispose();
  });

  const receive = (n: number, text = 'I need help') =>
    adapter.context!.receive({
      externalId: `m-${n}-${newId()}`,
      sender: { address: `+9891212345${String(n).padStart(2, '0')}`, addressKind: 'phone' },
      text,
      raw: {},
    });
  const agentId = async (name: string) => (await db.prisma.agent.findFirstOrThrow({ where: { name } })).id;
  const loads = async () => {
    const rows = await db.prisma.conversation.findMany({ where: { status: { not: 'resolved' } }, include: { assignee: true } });
    const out: Record<string, number> = {};
    for (const r of rows) out[r.assignee?.name ?? 'queued'] = (out[r.assignee?.name ?? 'queued'] ?? 0) + 1;
    return out;
  };

  it('round robin within capacity; a waiting conversation goes to an agent as soon as one is available', async () => {
    clock = new Date('2026-03-23T10:00:00Z');
    await start({
      teams: { support: { strategy: 'round_robin' } },
      agents: [
        { name: 'Ali', teams: ['support'], capacity: 2 },
        { name: 'Bita', teams: ['support'], capacity: 2 },
        { name: 'Cyrus', teams: ['support'], capacity: 2 },
      ],
    });
    await parley.routing.setAvailability(await agentId('Cyrus'), 'away');
    for (let n = 1; n <= 5; n++) await receive(n);
    await settle(parley);
    expect(await loads()).toEqual({ Ali: 2, Bita: 2, queued: 1 });
    const queued = await db.prisma.conversation.findFirstOrThrow({ where: { assigneeId: null } });
    expect(queued.status).toBe('waiting_for_agent');

    await parley.routing.setAvailability(await agentId('Cyrus'), 'available');
    await settle(parley);
    expect(await loads()).toEqual({ Ali: 2, Bita: 2, Cyrus: 1 });
    expect((await db.prisma.conversation.findUniqueOrThrow({ where: { id: queued.id } })).status).toBe('assigned');

    // Three more: only Cyrus has room, for one; a resolved conversation frees Ali for the next in line.
    for (let n = 6; n <= 8; n++) await receive(n);
    await settle(parley);
    expect(await loads()).toEqual({ Ali: 2, Bita: 2, Cyrus: 2, queued: 2 });
    const ali = await db.prisma.conversation.findFirstOrThrow({ where: { assignee: { name: 'Ali' } } });
    await resolveConversation(db, parley.events, ali.id, 'api', clock);
    await settle(parley);
    expect(await loads()).toEqual({ Ali: 2, Bita: 2, Cyrus: 2, queued: 1 });
    expect(notifier.notices.filter((n) => n.kind === 'assignment')).toHaveLength(7);
  });

  it('least loaded and manual teams', async () => {
    clock = new Date('2026-03-23T10:00:00Z');
    await start({
      teams: { support: { strategy: 'least_loaded' } },
      agents: [
        { name: 'Ali', teams: ['support'], capacity: 5 },
        { name: 'Bita', teams: ['support'], capacity: 5 },
      ],
    });
    const bita = await agentId('Bita');
    await receive(1);
    await settle(parley);
    const first = await db.prisma.conversation.findFirstOrThrow();
    await parley.routing.assign(first.id, bita, 'api'); // manual move to Bita
    for (let n = 2; n <= 4; n++) await receive(n);
    await settle(parley);
    expect(await loads()).toEqual({ Ali: 2, Bita: 2 });
  });

  it("a manual assignment through the API goes routing's way: one conversation.assigned, one audit row and the assignment notice", async () => {
    clock = new Date('2026-03-23T10:00:00Z');
    await start({ teams: { support: { strategy: 'manual' } }, agents: [{ name: 'Ali', teams: ['support'] }] }, {}, { PARLEY_API_TOKEN: 't0ken' });
    const assigned: DomainEventOf<'conversation.assigned'>[] = [];
    parley.events.subscribe('conversation.assigned', 'test', async (event) => void assigned.push(event));
    await receive(1);
    await settle(parley);
    const conversation = await db.prisma.conversation.findFirstOrThrow();
    expect(conversation).toMatchObject({ status: 'waiting_for_agent', assigneeId: null }); // a manual team: nobody yet
    const ali = await agentId('Ali');
    const app = await buildServer(parley);
    try {
      const assign = () =>
        app.inject({
          method: 'POST',
          url: `/api/v1/conversations/${conversation.id}/assign`,
          headers: { authorization: 'Bearer t0ken' },
          payload: { agentId: ali },
        });
      const response = await assign();
      expect(response.statusCode).toBe(200);
      expect(response.json().conversation).toMatchObject({ assigneeId: ali, status: 'assigned' });
      await settle(parley);
      expect(notifier.notices.filter((n) => n.kind === 'assignment')).toEqual([
        { kind: 'assignment', conversationId: conversation.id, agentId: ali, team: 'support' },
      ]);
      expect(assigned).toMatchObject([{ conversationId: conversation.id, agentId: ali }]);
      // The same assignment again changes nothing and tells nobody twice.
      expect((await assign()).statusCode).toBe(200);
      await settle(parley);
      expect(notifier.notices.filter((n) => n.kind === 'assignment')).toHaveLength(1);
      expect(assigned).toHaveLength(1);
      const audit = await db.prisma.auditLog.findMany({ where: { action: 'conversation.assign', entityId: conversation.id } });
      expect(audit).toMatchObject([{ actor: 'api', data: { agentId: ali } }]);
    } finally {
      await app.close();
    }
  });

  it("unassigning through the API puts the conversation back in its team's queue: the team's strategy assigns it again", async () => {
    clock = new Date('2026-03-23T10:00:00Z');
    await start(
      {
        teams: { support: { strategy: 'round_robin' } },
        agents: [
          { name: 'Ali', teams: ['support'] },
          { name: 'Bita', teams: ['support'] },
        ],
      },
      {},
      { PARLEY_API_TOKEN: 't0ken' },
    );
    const assigned: DomainEventOf<'conversation.assigned'>[] = [];
    parley.events.subscribe('conversation.assigned', 'test', async (event) => void assigned.push(event));
    await receive(1);
    await settle(parley);
    const conversation = await db.prisma.conversation.findFirstOrThrow();
    const [ali, bita] = [await agentId('Ali'), await agentId('Bita')];
    expect(conversation).toMatchObject({ status: 'assigned', assigneeId: ali });
    const app = await buildServer(parley);
    try {
      const response = await app.inject({
        method: 'POST',
        url: `/api/v1/conversations/${conversation.id}/assign`,
        headers: { authorization: 'Bearer t0ken' },
        payload: { agentId: null },
      });
      expect(response.statusCode).toBe(200);
      expect(response.json().conversation).toMatchObject({ assigneeId: null, status: 'waiting_for_agent' });
    } finally {
      await app.close();
    }
    await settle(parley);
    // Round robin: the next agent after Ali.
    expect(await db.prisma.conversation.findUniqueOrThrow({ where: { id: conversation.id } })).toMatchObject({ status: 'assigned', assigneeId: bita });
    expect(assigned.map((e) => e.agentId)).toEqual([ali, null, bita]);
    expect(notifier.notices.filter((n) => n.kind === 'assignment').map((n) => 'agentId' in n && n.agentId)).toEqual([ali, bita]);
    const audit = await db.prisma.auditLog.findMany({ where: { action: 'conversation.assign', entityId: conversation.id }, orderBy: { id: 'asc' } });
    expect(audit.map((a) => [a.actor, (a.data as { agentId: string | null }).agentId])).toEqual([
      ['system', ali],
      ['api', null],
      ['system', bita],
    ]);
  });

  it("an agent's first reply assigns the conversation through routing's assignment: one conversation.assigned, one audit row and the assignment notice", async () => {
    clock = new Date('2026-03-23T10:00:00Z');
    await start({ teams: { support: { strategy: 'manual' } }, agents: [{ name: 'Ali', teams: ['support'] }] });
    const assigned: DomainEventOf<'conversation.assigned'>[] = [];
    parley.events.subscribe('conversation.assigned', 'test', async (event) => void assigned.push(event));
    await receive(1);
    await settle(parley);
    const conversation = await db.prisma.conversation.findFirstOrThrow();
    expect(conversation).toMatchObject({ status: 'waiting_for_agent', assigneeId: null });
    const ali = await agentId('Ali');
    expect(await parley.desk.reply({ conversationId: conversation.id, agentId: ali, text: 'Hello, Ali here' })).toMatchObject({ assigned: true });
    await settle(parley);
    expect(await db.prisma.conversation.findUniqueOrThrow({ where: { id: conversation.id } })).toMatchObject({
      status: 'assigned',
      assigneeId: ali,
      firstResponseAt: clock,
    });
    expect(notifier.notices.filter((n) => n.kind === 'assignment')).toEqual([
      { kind: 'assignment', conversationId: conversation.id, agentId: ali, team: 'support' },
    ]);
    expect(assigned).toMatchObject([{ conversationId: conversation.id, agentId: ali }]);
    // The next reply is the assignee's: no second assignment.
    expect(await parley.desk.reply({ conversationId: conversation.id, agentId: ali, text: 'Checking now' })).toMatchObject({ assigned: false });
    await settle(parley);
    expect(notifier.notices.filter((n) => n.kind === 'assignment')).toHaveLength(1);
    expect(assigned).toHaveLength(1);
    const audit = await db.prisma.auditLog.findMany({ where: { action: 'conversation.assign', entityId: conversation.id } });
    expect(audit).toMatchObject([{ actor: `agent:${ali}`, at: clock, data: { agentId: ali, reason: 'first reply' } }]);
    expect(adapter.sent.map((m) => m.content.text)).toEqual(['Hello, Ali here', 'Checking now']);
  });

  it('SLA: warning before the breach, escalation (mention and transfer) at it; clocks pause out of hours; the customer is told when to expect an answer', async () => {
    clock = new Date('2026-03-23T14:30:00Z'); // Monday 15:30 in Berlin (CET)
    await start({
      teams: {
        support: {
          hours: { time_zone: 'Europe/Berlin', weekly: weekdays },
          escalation: { mention: '<!subteam^S0SUPPORT|@support-leads>', transfer_to: 'supervisors' },
        },
        supervisors: { strategy: 'manual' },
      },
      sla: { warn_before: '15m', normal: { first_response: '1h', resolution: '8h' } },
    });
    await receive(1);
    await settle(parley);
    const conversation = await db.prisma.conversation.findFirstOrThrow();
    const sla = await db.prisma.conversationSla.findFirstOrThrow({ where: { conversationId: conversation.id }, orderBy: { queuedAt: 'desc' } });
    expect(sla.firstResponseDueAt?.toISOString()).toBe('2026-03-23T15:30:00.000Z');
    // 1.5 open hours left on Monday, then 6.5 on Tuesday from 09:00.
    expect(sla.resolutionDueAt?.toISOString()).toBe('2026-03-24T14:30:00.000Z');
    expect(adapter.sent).toHaveLength(0); // open: nothing to tell

    clock = new Date(clock.getTime() + 44 * MIN);
    await settle(parley);
    expect(notifier.notices.filter((n) => n.kind.startsWith('sla'))).toEqual([]);
    clock = new Date('2026-03-23T15:15:00Z');
    await settle(parley);
    expect(notifier.notices.filter((n) => n.kind.startsWith('sla'))).toEqual([
      { kind: 'sla.warning', conversationId: conversation.id, target: 'first_response', dueAt: '2026-03-23T15:30:00.000Z', team: 'support' },
    ]);
    clock = new Date('2026-03-23T15:30:00Z');
    await settle(parley);
    await settle(parley);
    const breached = notifier.notices.filter((n) => n.kind === 'sla.breached');
    expect(breached).toEqual([
      {
        kind: 'sla.breached',
        conversationId: conversation.id,
        target: 'first_response',
        dueAt: '2026-03-23T15:30:00.000Z',
        team: 'support',
        mention: '<!subteam^S0SUPPORT>',
        transferredTo: 'supervisors',
      },
    ]);
    const moved = await db.prisma.conversation.findUniqueOrThrow({ where: { id: conversation.id }, include: { team: true } });
    expect(moved.team?.name).toBe('supervisors');
    expect(
      (await db.prisma.conversationSla.findFirstOrThrow({ where: { conversationId: conversation.id }, orderBy: { queuedAt: 'desc' } })).firstResponseBreached,
    ).toBe(true);
    // An answer before the resolution warning stops nothing else from firing twice.
    const lead = await db.prisma.agent.create({ data: { id: newId(), name: 'Lead' } });
    await parley.desk.reply({ conversationId: conversation.id, agentId: lead.id, text: 'Sorry for the wait' });
    clock = new Date('2026-03-24T14:30:00Z');
    await settle(parley);
    await settle(parley);
    expect(notifier.notices.filter((n) => n.kind.startsWith('sla')).map((n) => `${n.kind}:${'target' in n ? n.target : ''}`)).toEqual([
      'sla.warning:first_response',
      'sla.breached:first_response',
      'sla.warning:resolution',
      'sla.breached:resolution',
    ]);
  });

  it("an agent's first reply through the desk stops the episode's first-response clock: after a transfer too, no key-customer alert, counted in the report", async () => {
    clock = new Date('2026-03-23T10:00:00Z');
    await start(
      {
        teams: { support: { strategy: 'manual' }, billing: { strategy: 'manual' } },
        agents: [
          { name: 'Ali', teams: ['support'] },
          { name: 'Bita', teams: ['billing'] },
        ],
        // A key customer's conversation is raised to high.
        sla: { warn_before: '15m', normal: { first_response: '1h' }, high: { first_response: '1h' } },
      },
      { rules: [{ id: 'key-waiting', when: { key_customer_waiting: '10m' }, notify: { slack: '#vip' } }] },
    );
    await receive(1);
    await settle(parley);
    const conversation = await db.prisma.conversation.findFirstOrThrow();
    clock = new Date('2026-03-23T10:05:00Z');
    await parley.desk.reply({ conversationId: conversation.id, agentId: await agentId('Ali'), text: 'Ali here' });
    expect(await db.prisma.conversationSla.findFirstOrThrow({ where: { conversationId: conversation.id }, orderBy: { queuedAt: 'desc' } })).toMatchObject({
      queuedAt: new Date('2026-03-23T10:00:00Z'),
      firstResponseAt: clock,
    });
    await settle(parley);

    // A key customer moved to billing: a new episode, its own clocks; Bita answers at once.
    await db.prisma.customer.update({ where: { id: conversation.customerId }, data: { isKey: true } });
    clock = new Date('2026-03-23T10:10:00Z');
    await parley.desk.transfer(conversation.id, 'billing', 'api');
    await settle(parley);
    expect(await db.prisma.conversationSla.findFirstOrThrow({ where: { conversationId: conversation.id }, orderBy: { queuedAt: 'desc' } })).toMatchObject({
      priority: 'high',
      queuedAt: clock,
      firstResponseDueAt: new Date('2026-03-23T11:10:00Z'),
      firstResponseAt: null,
    });
    clock = new Date('2026-03-23T10:12:00Z');
    await parley.desk.reply({ conversationId: conversation.id, agentId: await agentId('Bita'), text: 'Bita from billing' });
    await settle(parley);
    expect(await db.prisma.conversationSla.findFirstOrThrow({ where: { conversationId: conversation.id }, orderBy: { queuedAt: 'desc' } })).toMatchObject({
      queuedAt: new Date('2026-03-23T10:10:00Z'),
      firstResponseAt: clock,
    });

    // Past the alert's 10 minutes and the first-response target: nobody is told of a wait that ended.
    clock = new Date('2026-03-23T10:25:00Z');
    await settle(parley);
    clock = new Date('2026-03-23T11:15:00Z');
    await settle(parley);
    await settle(parley);
    expect(notifier.notices.filter((n) => n.kind !== 'assignment')).toEqual([]);
    expect(
      (await db.prisma.conversationSla.findFirstOrThrow({ where: { conversationId: conversation.id }, orderBy: { queuedAt: 'desc' } })).firstResponseBreached,
    ).toBe(false);
    const report = await buildReport(db, new Date('2026-03-23T00:00:00Z'), new Date('2026-03-24T00:00:00Z'));
    // Each episode has its own first response: Ali's in support (5 min) and Bita's in billing (2 min).
    expect(report.firstResponse.byTeam).toEqual({
      billing: { count: 1, medianMs: 2 * MIN, p90Ms: 2 * MIN },
      support: { count: 1, medianMs: 5 * MIN, p90Ms: 5 * MIN },
    });
    expect(report.firstResponse.byAgent).toEqual({
      Ali: { count: 1, medianMs: 5 * MIN, p90Ms: 5 * MIN },
      Bita: { count: 1, medianMs: 2 * MIN, p90Ms: 2 * MIN },
    });
  });

  it('an SLA escalation hands the conversation to the other team the way a transfer does: one conversation.handed_off; the clocks keep running', async () => {
    clock = new Date('2026-03-23T10:00:00Z');
    await start({
      teams: { support: { escalation: { transfer_to: 'supervisors' } }, supervisors: { strategy: 'manual' } },
      sla: { warn_before: '15m', normal: { first_response: '1h', resolution: '8h' } },
    });
    const handedOff: DomainEventOf<'conversation.handed_off'>[] = [];
    parley.events.subscribe('conversation.handed_off', 'test', async (event) => void handedOff.push(event));
    await receive(1);
    await settle(parley);
    const conversation = await db.prisma.conversation.findFirstOrThrow();
    const before = await db.prisma.conversationSla.findFirstOrThrow({ where: { conversationId: conversation.id }, orderBy: { queuedAt: 'desc' } });
    expect(handedOff.map((e) => e.team)).toEqual(['support']);

    clock = new Date('2026-03-23T11:00:00Z');
    await settle(parley);
    await settle(parley);
    expect(handedOff).toHaveLength(2);
    expect(handedOff[1]).toMatchObject({ conversationId: conversation.id, team: 'supervisors', priority: 'normal', escalation: 'first_response' });
    const moved = await db.prisma.conversation.findUniqueOrThrow({ where: { id: conversation.id }, include: { team: true } });
    expect(moved).toMatchObject({ status: 'waiting_for_agent', assigneeId: null });
    expect(moved.team?.name).toBe('supervisors');
    // The customer's clocks keep running: the breach stays recorded, nothing is restarted.
    const after = await db.prisma.conversationSla.findFirstOrThrow({ where: { conversationId: conversation.id }, orderBy: { queuedAt: 'desc' } });
    expect(after).toMatchObject({
      teamId: moved.teamId,
      queuedAt: before.queuedAt,
      firstResponseDueAt: before.firstResponseDueAt,
      resolutionDueAt: before.resolutionDueAt,
      firstResponseBreached: true,
    });
    const audit = await db.prisma.auditLog.findMany({ where: { entityId: conversation.id, action: 'conversation.escalate' } });
    expect(audit).toMatchObject([{ actor: 'system', data: { from: 'support', to: 'supervisors', target: 'first_response' } }]);

    // The resolution target is missed too: the supervisors have no escalation, so no second hand-off.
    clock = new Date('2026-03-23T18:00:00Z');
    await settle(parley);
    await settle(parley);
    expect(handedOff).toHaveLength(2);
    expect(notifier.notices.filter((n) => n.kind.startsWith('sla')).map((n) => `${n.kind}:${'target' in n ? n.target : ''}`)).toEqual([
      'sla.warning:first_response',
      'sla.breached:first_response',
      'sla.warning:resolution',
      'sla.breached:resolution',
    ]);
    expect(adapter.sent).toHaveLength(0);
  });

  it('out of hours: a Persian customer is told in Persian when the team opens; the first-response clock starts then (across the clock change)', async () => {
    clock = new Date('2026-03-28T10:00:00Z'); // Saturday
    await start({
      teams: { support: { hours: { time_zone: 'Europe/Berlin', weekly: weekdays } } },
      sla: { normal: { first_response: '1h' } },
    });
    await receive(1, 'سلام، لطفاً کمک کنید');
    await settle(parley);
    const opening = new Date('2026-03-30T07:00:00Z'); // Monday 09:00 CEST
    expect(adapter.sent).toHaveLength(1);
    expect(adapter.sent[0]!.content.text).toBe(
      `از پیام شما سپاسگزاریم. همکاران ما اکنون در دسترس نیستند؛ از ${formatOpening(opening, 'fa', 'Europe/Berlin')} پاسخ شما را می‌دهیم.`,
    );
    expect(formatOpening(opening, 'fa', 'Europe/Berlin')).toMatch(/۰۹:۰۰/);
    const sla = await db.prisma.conversationSla.findFirstOrThrow();
    expect(sla.firstResponseDueAt?.toISOString()).toBe('2026-03-30T08:00:00.000Z');
  });

  it('key customers and complaint categories raise priority', async () => {
    clock = new Date('2026-03-23T10:00:00Z');
    await start({ priority: { key_customer: 'high', complaint_categories: { billing: 'urgent' } } });
    await receive(1);
    await receive(2);
    await settle(parley);
    // Customer 1 is key; customer 2 has a billing complaint; both are handed off again.
    const [c1, c2] = await db.prisma.conversation.findMany({ orderBy: { id: 'asc' }, include: { identity: true } });
    await db.prisma.customer.update({ where: { id: c1!.customerId }, data: { isKey: true } });
    await db.prisma.ticket.create({
      data: { id: newId(), ref: 'C-1', customerId: c2!.customerId, conversationId: c2!.id, kind: 'complaint', category: 'billing', subject: 'x', fields: {} },
    });
    await db.write((tx) =>
      parley.events.emit(
        tx,
        [c1!, c2!].map((c) => ({
          type: 'conversation.handed_off' as const,
          conversationId: c.id,
          customerId: c.customerId,
          team: null,
          priority: 'normal' as const,
          collected: {},
        })),
        clock,
      ),
    );
    await settle(parley);
    const after = await db.prisma.conversation.findMany({ orderBy: { id: 'asc' } });
    expect(after.map((c) => c.priority)).toEqual(['high', 'urgent']);
  });

  it('ticket lifecycle: allowed moves, root cause required to close a complaint, the customer told in their language, ticket.closed emitted', async () => {
    clock = new Date('2026-03-23T10:00:00Z');
    await start({ tickets: { root_causes: ['carrier_delay', 'damaged_in_transit'] } });
    await receive(1, 'سلام، لطفاً کمک کنید');
    await settle(parley);
    const closedEvents: string[] = [];
    parley.events.subscribe('ticket.closed', 'test', async (event) => void closedEvents.push(event.ticketId));
    const conversation = await db.prisma.conversation.findFirstOrThrow();
    const ticket = await db.prisma.ticket.create({
      data: {
        id: newId(),
        ref: 'CMP-7K2M9',
        customerId: conversation.customerId,
        conversationId: conversation.id,
        kind: 'complaint',
        category: 'delivery',
        subject: 'late',
        fields: {},
      },
    });
    const deps = parley.ticketDeps();
    await changeTicketStatus(deps, 'cmp-7k2m9', { status: 'in_progress', by: 'api' }, clock);
    await changeTicketStatus(deps, ticket.id, { status: 'waiting_for_customer', by: 'api' }, clock);
    await expect(changeTicketStatus(deps, ticket.id, { status: 'closed', by: 'api' }, clock)).rejects.toThrow(
      /complaint: give a root cause to close it \(one of carrier_delay, damaged_in_transit\)/,
    );
    await expect(changeTicketStatus(deps, ticket.id, { status: 'closed', rootCause: 'bad luck', by: 'api' }, clock)).rejects.toThrow(UserError);
    await changeTicketStatus(deps, ticket.id, { status: 'resolved', by: 'api' }, clock);
    const closed = await changeTicketStatus(deps, ticket.id, { status: 'closed', rootCause: 'carrier_delay', by: 'agent:x' }, clock);
    expect(closed).toMatchObject({ status: 'closed', rootCause: 'carrier_delay', closedAt: clock });
    await expect(changeTicketStatus(deps, ticket.id, { status: 'in_progress', by: 'api' }, clock)).rejects.toThrow(/closed is final/);
    await settle(parley);
    expect(closedEvents).toEqual([ticket.id]);
    expect(adapter.sent.map((m) => m.content.text)).toEqual([
      'درخواست CMP-7K2M9 شما در حال رسیدگی است.',
      'برای ادامهٔ رسیدگی به درخواست CMP-7K2M9 به پاسخ شما نیاز داریم.',
      'درخواست CMP-7K2M9 شما حل شد.',
      'درخواست CMP-7K2M9 شما بسته شد. سپاسگزاریم!',
    ]);
    const audit = await db.prisma.auditLog.findMany({ where: { entityType: 'ticket' }, orderBy: { id: 'asc' } });
    expect(audit.map((a) => (a.data as { to: string }).to)).toEqual(['in_progress', 'waiting_for_customer', 'resolved', 'closed']);
  });

  it('each alert rule fires once per occurrence', async () => {
    clock = new Date('2026-03-23T10:00:00Z');
    await start(
      {},
      {
        rules: [
          { id: 'repeat-complainer', when: { complaints_per_customer: { more_than: 3, within: '30d' } }, notify: { slack: '#cx-alerts' } },
          { id: 'unhappy', when: { csat_at_most: 2 }, notify: { email: 'cx@example.com' } },
          { id: 'key-waiting', when: { key_customer_waiting: '10m' }, notify: { slack: '#vip' } },
          { id: 'delivery-spike', when: { complaint_spike: { more_than: 2, within: '1h', category: 'delivery' } }, notify: { slack: '#ops' } },
        ],
      },
    );
    for (let n = 1; n <= 4; n++) await receive(n);
    await settle(parley);
    const conversations = await db.prisma.conversation.findMany({ orderBy: { id: 'asc' } });
    const [a, b, c, d] = conversations as [(typeof conversations)[0], (typeof conversations)[0], (typeof conversations)[0], (typeof conversations)[0]];
    const complaint = async (conv: typeof a, category: string, minutesAgo: number) => {
      const id = newId();
      await db.write(async (tx) => {
        await tx.ticket.create({
          data: {
            id,
            ref: `C-${id.slice(-6)}`,
            customerId: conv.customerId,
            conversationId: conv.id,
            kind: 'complaint',
            category,
            subject: 's',
            fields: {},
            createdAt: new Date(clock.getTime() - minutesAgo * MIN),
          },
        });
        await parley.events.emit(tx, [{ type: 'ticket.created', ticketId: id, customerId: conv.customerId, conversationId: conv.id }], clock);
      });
      await settle(parley);
    };
    const alerts = (rule: string) => notifier.notices.filter((n) => n.kind === 'alert' && n.ruleId === rule);

    // Customer a: complaints 20 days, 10 days and 1 day ago (product), then a 4th and a 5th.
    await complaint(a, 'product', 20 * 24 * 60);
    await complaint(a, 'product', 10 * 24 * 60);
    await complaint(a, 'product', 24 * 60);
    expect(alerts('repeat-complainer')).toHaveLength(0);
    await complaint(a, 'product', 0);
    await complaint(a, 'product', 0);
    // The alert says who and what: the customer, the channel, the conversation's ref and its open tickets.
    const ticketRefs = async (conv: typeof a, count: number) =>
      (await db.prisma.ticket.findMany({ where: { conversationId: conv.id }, orderBy: { id: 'asc' }, take: count })).map((t) => t.ref);
    expect(alerts('repeat-complainer')).toEqual([
      {
        kind: 'alert',
        ruleId: 'repeat-complainer',
        text: 'A customer made 4 complaints within 30d.',
        slackChannel: '#cx-alerts',
        customerId: a.customerId,
        conversationId: a.id,
        context: { customerName: null, isKey: false, channel: 'whatsapp', conversationRef: conversationRef(a), ticketRefs: await ticketRefs(a, 4) },
      },
    ]);

    // Delivery spike: three delivery complaints within the hour from b, c, d; then a fourth.
    await complaint(b, 'delivery', 30);
    await complaint(c, 'delivery', 20);
    expect(alerts('delivery-spike')).toHaveLength(0);
    await complaint(d, 'delivery', 0);
    await complaint(b, 'delivery', 0);
    expect(alerts('delivery-spike').map((n) => n.kind === 'alert' && n.text)).toEqual(['3 complaints about delivery within 1h.']);

    // CSAT 1-2: one alert per rating, even if the event is delivered twice; a 3 is fine.
    const surveyId = newId();
    for (const [id, score] of [
      [surveyId, 2],
      [surveyId, 2],
      [newId(), 3],
    ] as const) {
      await db.write((tx) =>
        parley.events.emit(tx, [{ type: 'survey.recorded', surveyId: id, customerId: b.customerId, conversationId: b.id, kind: 'csat', score }], clock),
      );
      await settle(parley);
    }
    expect(alerts('unhappy')).toEqual([
      {
        kind: 'alert',
        ruleId: 'unhappy',
        text: 'A customer rated 2 (CSAT).',
        email: 'cx@example.com',
        customerId: b.customerId,
        conversationId: b.id,
        context: { customerName: null, isKey: false, channel: 'whatsapp', conversationRef: conversationRef(b), ticketRefs: await ticketRefs(b, 2) },
      },
    ]);

    // A key customer waiting: nothing at 9 minutes, one alert after 10, none later.
    await db.prisma.customer.update({ where: { id: d.customerId }, data: { isKey: true } });
    await db.write((tx) =>
      parley.events.emit(
        tx,
        [{ type: 'conversation.handed_off', conversationId: d.id, customerId: d.customerId, team: null, priority: 'normal', collected: {} }],
        clock,
      ),
    );
    await settle(parley);
    clock = new Date(clock.getTime() + 9 * MIN);
    await settle(parley);
    expect(alerts('key-waiting')).toHaveLength(0);
    clock = new Date(clock.getTime() + 2 * MIN);
    await settle(parley);
    clock = new Date(clock.getTime() + 60 * MIN);
    await settle(parley);
    expect(alerts('key-waiting')).toEqual([
      {
        kind: 'alert',
        ruleId: 'key-waiting',
        text: 'A key customer has waited over 10m for an answer.',
        slackChannel: '#vip',
        customerId: d.customerId,
        conversationId: d.id,
        context: { customerName: null, isKey: true, channel: 'whatsapp', conversationRef: conversationRef(d), ticketRefs: await ticketRefs(d, 1) },
      },
    ]);
    expect(await db.prisma.alertFiring.count()).toBe(4);
  });

  it('lifecycle: stages with reasons; churned customers get the win-back once, within the contact policy', async () => {
    clock = new Date('2026-06-01T00:00:00Z');
    await start({ lifecycle: { winback_flow: 'winback' } }, {}, { PARLEY_CONTACT_CAP: '1/30d' });
    const day = 86_400_000;
    for (let n = 1; n <= 4; n++) await receive(n);
    await settle(parley);
    const conversations = await db.prisma.conversation.findMany({ orderBy: { id: 'asc' } });
    // 1: new; 2: active; 3: churned; 4: churned, but sent a survey 5 days ago.
    const seen = [
      [3, 1],
      [200, 2],
      [300, 95],
      [300, 100],
    ] as const;
    for (const [i, [first, last]] of seen.entries()) {
      const c = conversations[i]!;
      await db.prisma.customer.update({
        where: { id: c.customerId },
        data: { firstSeenAt: new Date(clock.getTime() - first * day), lastSeenAt: new Date(clock.getTime() - last * day) },
      });
      await db.prisma.conversation.update({ where: { id: c.id }, data: { status: 'resolved' } });
    }
    await db.write((tx) =>
      recordContact(tx, { customerId: conversations[3]!.customerId, channel: 'whatsapp', kind: 'survey' }, new Date(clock.getTime() - 5 * day)),
    );
    const lifecycle = new (await import('../src/routing/lifecycle.ts')).Lifecycle(
      db,
      parley.routing.config.lifecycle,
      parley.logger,
      () => true,
      contactPolicyFrom(parley.config),
      new OutreachPacer(() => outreachBudget(undefined, 50)),
    );
    expect(await lifecycle.sweep(clock)).toBe(3); // customer 1 stays new
    const stages = await db.prisma.customer.findMany({ where: { id: { in: conversations.map((c) => c.customerId) } } });
    expect(conversations.map((c) => stages.find((s) => s.id === c.customerId)!.lifecycleStage)).toEqual(['new', 'active', 'churned', 'churned']);
    const changes = await db.prisma.lifecycleChange.findMany({ where: { customerId: conversations[2]!.customerId } });
    expect(changes).toMatchObject([{ fromStage: 'new', toStage: 'churned', reasons: ['no activity for 95 days'] }]);
    const winbacks = async () => (await db.prisma.job.findMany({ where: { kind: 'flow.start' } })).map((j) => j.dedupKey);
    expect(await winbacks()).toEqual([`winback:winback:${conversations[2]!.customerId}`]);
    // Next sweep: no change, no second win-back; after the cap window the capped customer gets theirs.
    expect(await lifecycle.sweep(clock)).toBe(0);
    expect(await winbacks()).toHaveLength(1);
    clock = new Date(clock.getTime() + 30 * day);
    await lifecycle.sweep(clock);
    expect((await winbacks()).sort()).toEqual([`winback:winback:${conversations[2]!.customerId}`, `winback:winback:${conversations[3]!.customerId}`].sort());
  });
});
