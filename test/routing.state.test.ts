import { afterEach, describe, expect, it } from 'vitest';
import { AgentText } from '../src/agent-text/agent-text.ts';
import type { DomainEventOf } from '../src/core/events.ts';
import { newId } from '../src/core/ids.ts';
import { migrate } from '../src/db/migrate.ts';
import { HumanHandledConversation } from '../src/pipeline/handler.ts';
import { AlertsConfigSchema } from '../src/routing/alerts.ts';
import { RoutingConfigSchema } from '../src/routing/config.ts';
import { describeNotice } from '../src/routing/notifier.ts';
import { buildReport } from '../src/routing/reports.ts';
import type { Parley } from '../src/runtime.ts';
import { dialects, freshDatabase, type TestDatabase } from './support/databases.ts';
import { FakeAdapter, settle, testParley } from './support/parley.ts';
import { handOff, MIN, RecordingNotifier, weekdays } from './support/routing.ts';

/** Routing's state across hand-back, resolve, closed teams, reopen and transfer, on a fake clock. */
describe.each(dialects)('routing state on %s', (dialect) => {
  let db: TestDatabase;
  let parley: Parley;
  let adapter: FakeAdapter;
  let notifier: RecordingNotifier;
  let clock: Date;

  async function start(routing: unknown) {
    db = await freshDatabase(dialect);
    adapter = new FakeAdapter();
    notifier = new RecordingNotifier();
    const human = new HumanHandledConversation();
    parley = await testParley(db, {
      adapters: [adapter],
      handlers: (c) => (c.status === 'bot' ? handOff : human),
      now: () => clock,
      routingConfig: RoutingConfigSchema.parse(routing),
      alertsConfig: AlertsConfigSchema.parse({}),
      notifier,
      env: { PARLEY_REOPEN_WINDOW: '24h' },
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
  const conversationOf = async (n: number) =>
    db.prisma.conversation.findFirstOrThrow({ where: { identity: { address: `+9891212345${String(n).padStart(2, '0')}` } }, include: { assignee: true } });
  const episodes = (conversationId: string) => db.prisma.conversationSla.findMany({ where: { conversationId }, orderBy: { id: 'asc' } });
  const slaNotices = () => notifier.notices.filter((n) => n.kind.startsWith('sla'));

  it('a hand-back to the bot and a resolve stop the clocks: no warning, breach or escalation back into the human queue', async () => {
    clock = new Date('2026-03-23T10:00:00Z');
    await start({
      teams: { support: { escalation: { mention: '<!subteam^S0LEADS>', transfer_to: 'supervisors' } }, supervisors: { strategy: 'manual' } },
      sla: { warn_before: '15m', normal: { first_response: '1h', resolution: '8h' } },
    });
    const handedOff: DomainEventOf<'conversation.handed_off'>[] = [];
    parley.events.subscribe('conversation.handed_off', 'test', async (event) => void handedOff.push(event));
    await receive(1);
    await receive(2);
    await settle(parley);
    const [one, two] = [await conversationOf(1), await conversationOf(2)];

    clock = new Date('2026-03-23T10:20:00Z');
    await parley.desk.handBack(one.id, 'api');
    await parley.desk.resolve(two.id, 'api');
    await settle(parley);
    expect(await episodes(one.id)).toMatchObject([{ endedAt: clock, endReason: 'handed_back', firstResponseBreached: false }]);
    expect(await episodes(two.id)).toMatchObject([{ endedAt: clock, resolvedAt: clock, endReason: 'resolved' }]);

    // Past both targets: nothing is due any more.
    for (const at of ['2026-03-23T10:50:00Z', '2026-03-23T11:05:00Z', '2026-03-23T18:30:00Z']) {
      clock = new Date(at);
      await settle(parley);
      await settle(parley);
    }
    expect(slaNotices()).toEqual([]);
    expect(handedOff.map((e) => e.conversationId)).toEqual([one.id, two.id]);
    expect(await conversationOf(1)).toMatchObject({ status: 'bot', assigneeId: null });
    expect((await conversationOf(1)).teamId).toBe(one.teamId);
    expect((await episodes(one.id))[0]!.firstResponseBreached).toBe(false);
  });

  it('nothing is assigned while the team is closed: the conversation queues and is assigned when the team opens', async () => {
    clock = new Date('2026-03-28T10:00:00Z'); // Saturday
    await start({
      teams: { support: { hours: { time_zone: 'Europe/Berlin', weekly: weekdays } } },
      agents: [{ name: 'Ali', teams: ['support'], capacity: 2 }],
    });
    await receive(1);
    await settle(parley);
    expect(await conversationOf(1)).toMatchObject({ status: 'waiting_for_agent', assigneeId: null });
    // An agent coming back on Sunday does not open the team.
    clock = new Date('2026-03-29T12:00:00Z');
    await parley.routing.setAvailability(await agentId('Ali'), 'away');
    await parley.routing.setAvailability(await agentId('Ali'), 'available');
    await settle(parley);
    expect(await conversationOf(1)).toMatchObject({ status: 'waiting_for_agent', assigneeId: null });
    expect(notifier.notices.filter((n) => n.kind === 'assignment')).toEqual([]);

    clock = new Date('2026-03-30T07:00:00Z'); // Monday 09:00 in Berlin (CEST)
    await settle(parley);
    expect((await conversationOf(1)).assignee?.name).toBe('Ali');
    expect(notifier.notices.filter((n) => n.kind === 'assignment')).toHaveLength(1);
  });

  it('capacity holds on reopen: an agent with capacity 1 never holds 2; the reopened conversation waits for room', async () => {
    clock = new Date('2026-03-23T10:00:00Z');
    await start({ teams: { support: { strategy: 'round_robin' } }, agents: [{ name: 'Ali', teams: ['support'], capacity: 1 }] });
    await receive(1);
    await settle(parley);
    const one = await conversationOf(1);
    expect(one.assignee?.name).toBe('Ali');
    await parley.desk.resolve(one.id, 'api');
    await settle(parley);
    await receive(2);
    await settle(parley);
    expect((await conversationOf(2)).assignee?.name).toBe('Ali');

    clock = new Date('2026-03-23T11:00:00Z');
    await receive(1, 'one more thing');
    await settle(parley);
    const ali = await agentId('Ali');
    expect(await db.prisma.conversation.count({ where: { assigneeId: ali, status: { in: ['assigned', 'waiting_for_customer'] } } })).toBe(1);
    expect(await conversationOf(1)).toMatchObject({ id: one.id, status: 'waiting_for_agent', assigneeId: null });
    const audit = await db.prisma.auditLog.findMany({ where: { action: 'conversation.assign', entityId: one.id }, orderBy: { id: 'asc' } });
    expect(audit.at(-1)).toMatchObject({ actor: 'system', data: { agentId: null, reason: 'Ali is at capacity' } });

    // Room again: the queued conversation is Ali's.
    await parley.desk.resolve((await conversationOf(2)).id, 'api');
    await settle(parley);
    expect(await conversationOf(1)).toMatchObject({ status: 'assigned', assigneeId: ali });
  });

  it('capacity holds on transfer: a manual assignment to a full agent is refused; a transferred conversation waits for room', async () => {
    clock = new Date('2026-03-23T10:00:00Z');
    await start({
      teams: { support: { strategy: 'round_robin' }, billing: { strategy: 'round_robin' } },
      agents: [
        { name: 'Ali', teams: ['support'], capacity: 2 },
        { name: 'Bita', teams: ['billing'], capacity: 1 },
      ],
    });
    await receive(1);
    await receive(2);
    await settle(parley);
    const [one, two] = [await conversationOf(1), await conversationOf(2)];
    await parley.desk.transfer(one.id, 'billing', 'api');
    await settle(parley);
    expect((await conversationOf(1)).assignee?.name).toBe('Bita');

    await expect(parley.routing.assign(two.id, await agentId('Bita'), 'api')).rejects.toThrow(/Bita already has 1 open conversations \(capacity 1\)/);
    await parley.desk.transfer(two.id, 'billing', 'api');
    await settle(parley);
    expect(await conversationOf(2)).toMatchObject({ status: 'waiting_for_agent', assigneeId: null });
    expect(await db.prisma.conversation.count({ where: { assigneeId: await agentId('Bita') } })).toBe(1);
  });

  it('a first reply beyond capacity is sent and assigns the conversation to the one who answered, with an over-capacity notice', async () => {
    clock = new Date('2026-03-23T10:00:00Z');
    await start({ teams: { support: { strategy: 'round_robin' } }, agents: [{ name: 'Ali', teams: ['support'], capacity: 1 }] });
    await receive(1);
    await receive(2);
    await settle(parley);
    const ali = await agentId('Ali');
    expect((await conversationOf(1)).assigneeId).toBe(ali);
    const two = await conversationOf(2);
    expect(two).toMatchObject({ status: 'waiting_for_agent', assigneeId: null });

    clock = new Date('2026-03-23T10:05:00Z');
    expect(await parley.desk.reply({ conversationId: two.id, agentId: ali, text: 'Ali here' })).toMatchObject({ assigned: true });
    await settle(parley);
    expect(adapter.sent.filter((m) => m.conversationId === two.id).map((m) => m.content.text)).toContain('Ali here');
    expect(await conversationOf(2)).toMatchObject({ status: 'assigned', assigneeId: ali });
    expect((await episodes(two.id))[0]).toMatchObject({ firstResponseAt: clock, agentId: ali });
    const audit = await db.prisma.auditLog.findMany({ where: { action: 'conversation.assign', entityId: two.id }, orderBy: { id: 'asc' } });
    expect(audit.at(-1)).toMatchObject({ actor: `agent:${ali}`, data: { agentId: ali, reason: 'first reply, over capacity (2 of 1)' } });
    const notice = notifier.notices.find((n) => n.kind === 'assignment' && n.conversationId === two.id);
    expect(notice).toEqual({ kind: 'assignment', conversationId: two.id, agentId: ali, team: 'support', overCapacity: { load: 2, capacity: 1 } });
    expect(describeNotice(notice!, new AgentText('en', 'UTC'))).toBe(
      `Conversation ${two.id} is assigned to ${ali} (team support). Taken over capacity by replying: 2 open conversations for a capacity of 1; no automatic assignments until below it.`,
    );
    expect(describeNotice(notice!, new AgentText('fa', 'Asia/Tehran'))).toContain('۲ گفتگوی باز با ظرفیت ۱');

    // Over capacity, Ali gets nothing automatically: one resolved still leaves them full.
    clock = new Date('2026-03-23T10:10:00Z');
    await receive(3);
    await settle(parley);
    await parley.desk.resolve((await conversationOf(1)).id, 'api');
    await settle(parley);
    expect(await conversationOf(3)).toMatchObject({ status: 'waiting_for_agent', assigneeId: null });
    // Below capacity again: the queue is served.
    clock = new Date('2026-03-23T10:20:00Z');
    await parley.desk.resolve(two.id, 'api');
    await settle(parley);
    expect(await conversationOf(3)).toMatchObject({ status: 'assigned', assigneeId: ali });
    const three = (await conversationOf(3)).id;
    expect(notifier.notices.find((n) => n.kind === 'assignment' && n.conversationId === three)).toEqual({
      kind: 'assignment',
      conversationId: three,
      agentId: ali,
      team: 'support',
    });
  });

  it('each hand-off episode has its own first response and resolution; the report counts every one', async () => {
    clock = new Date('2026-03-23T10:00:00Z');
    await start({
      teams: { support: { strategy: 'manual' }, billing: { strategy: 'manual' } },
      agents: [
        { name: 'Ali', teams: ['support'] },
        { name: 'Bita', teams: ['billing'] },
      ],
    });
    await receive(1);
    await settle(parley);
    const { id } = await conversationOf(1);
    const [ali, bita] = [await agentId('Ali'), await agentId('Bita')];
    clock = new Date('2026-03-23T10:03:00Z');
    await parley.desk.reply({ conversationId: id, agentId: ali, text: 'Ali here' });
    clock = new Date('2026-03-23T10:10:00Z');
    await parley.desk.transfer(id, 'billing', 'api');
    await settle(parley);
    clock = new Date('2026-03-23T10:17:00Z');
    await parley.desk.reply({ conversationId: id, agentId: bita, text: 'Bita here' });
    clock = new Date('2026-03-23T10:30:00Z');
    await parley.desk.transfer(id, 'support', 'api');
    await settle(parley);
    clock = new Date('2026-03-23T10:31:00Z');
    await parley.desk.reply({ conversationId: id, agentId: ali, text: 'Ali again' });
    clock = new Date('2026-03-23T10:40:00Z');
    await parley.desk.resolve(id, 'api');
    await settle(parley);

    expect(
      (await episodes(id)).map((e) => [e.queuedAt.toISOString().slice(11, 16), e.firstResponseAt?.toISOString().slice(11, 16), e.endReason, e.agentId]),
    ).toEqual([
      ['10:00', '10:03', 'handed_off', ali],
      ['10:10', '10:17', 'handed_off', bita],
      ['10:30', '10:31', 'resolved', ali],
    ]);
    const report = await buildReport(db, new Date('2026-03-23T00:00:00Z'), new Date('2026-03-24T00:00:00Z'));
    expect(report.firstResponse.byAgent).toEqual({
      Ali: { count: 2, medianMs: 2 * MIN, p90Ms: 3 * MIN },
      Bita: { count: 1, medianMs: 7 * MIN, p90Ms: 7 * MIN },
    });
    expect(report.resolution.byTeam).toEqual({ support: { count: 1, medianMs: 10 * MIN, p90Ms: 10 * MIN } });
  });
});

describe.each(dialects)('the hand-off episodes migration on %s', (dialect) => {
  let db: TestDatabase;
  afterEach(async () => {
    await db.dispose();
  });

  it("turns each conversation's one SLA row into its episode, resolved ones ended, with the assignee as the episode's agent", async () => {
    db = await freshDatabase(dialect, { before: 'handoff_episodes_survey_dispatch' });
    // `select` keeps Prisma from reading back columns this older schema does not have yet.
    const customer = await db.prisma.customer.create({ data: { id: newId(), attributes: {}, tags: [] }, select: { id: true } });
    const identity = await db.prisma.channelIdentity.create({
      data: { id: newId(), customerId: customer.id, channel: 'whatsapp', address: '+989121234567' },
      select: { id: true },
    });
    const agent = await db.prisma.agent.create({ data: { id: newId(), name: 'Ali' }, select: { id: true } });
    const at = (iso: string) => (dialect === 'sqlite' ? `'${iso.replace('Z', '+00:00')}'` : `'${iso}'`);
    const ids = [newId(), newId()];
    for (const [i, conversationId] of ids.entries()) {
      await db.prisma.conversation.create({
        data: { id: conversationId, customerId: customer.id, identityId: identity.id, channel: 'whatsapp', assigneeId: i === 0 ? agent.id : null },
        select: { id: true },
      });
      await db.prisma.$executeRawUnsafe(
        `INSERT INTO "ConversationSla" ("conversationId", "priority", "queuedAt", "firstResponseAt", "resolvedAt", "firstResponseBreached")
         VALUES ('${conversationId}', 'normal', ${at('2026-03-23T10:00:00.000Z')}, ${at('2026-03-23T10:05:00.000Z')}, ${i === 0 ? at('2026-03-23T11:00:00.000Z') : 'NULL'}, ${dialect === 'sqlite' ? i : i === 1})`,
      );
    }
    await db.prisma.$disconnect();
    await migrate(db);
    const rows = await db.prisma.conversationSla.findMany({ orderBy: { id: 'asc' } });
    expect(rows).toMatchObject([
      {
        id: ids[0],
        conversationId: ids[0],
        agentId: agent.id,
        queuedAt: new Date('2026-03-23T10:00:00Z'),
        firstResponseAt: new Date('2026-03-23T10:05:00Z'),
        resolvedAt: new Date('2026-03-23T11:00:00Z'),
        endedAt: new Date('2026-03-23T11:00:00Z'),
        endReason: 'resolved',
        firstResponseBreached: false,
      },
      { id: ids[1], conversationId: ids[1], agentId: null, resolvedAt: null, endedAt: null, endReason: null, firstResponseBreached: true },
    ]);
  });
});
