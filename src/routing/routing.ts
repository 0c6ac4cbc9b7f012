import type { Logger } from 'pino';
import { z } from 'zod';
import { newId } from '../core/ids.ts';
import { recordAudit } from '../crm/audit.ts';
import { teamNamed } from '../crm/teams.ts';
import type { Database, Prisma as PrismaClient } from '../db/database.ts';
import type { EventBus } from '../pipeline/events.ts';
import { type JobContext, type JobDraft, type JobRunner, scheduleJobs } from '../pipeline/jobs.ts';
import { transferConversation } from '../pipeline/handoff.ts';
import { enqueueToCustomer } from '../pipeline/outbound.ts';
import { type Candidate, pickAgent, queueOrder, raisePriority } from './assignment.ts';
import { addBusinessTime, type BusinessHours, isOpen, nextOpening } from './business-hours.ts';
import type { Priority, RoutingConfig, TeamConfig } from './config.ts';
import { type DeskNotifier, queueNotice, registerNoticeDelivery } from './notifier.ts';
import { fill, formatOpening, OUT_OF_HOURS, pickText } from './texts.ts';
import { AgentFacingError } from '../agent-text/agent-error.ts';

const ASSIGN_JOB = 'routing.assign';
const SLA_JOB = 'routing.sla';
const SlaCheckSchema = z.object({
  conversationId: z.string(),
  target: z.enum(['first_response', 'resolution']),
  stage: z.enum(['warning', 'breach']),
  queuedAt: z.string(),
});
type SlaCheck = z.infer<typeof SlaCheckSchema>;

export interface RoutingOptions {
  readonly db: Database;
  readonly events: EventBus;
  readonly jobs: JobRunner;
  readonly config: RoutingConfig;
  readonly notifier: () => DeskNotifier;
  readonly logger: Logger;
  readonly defaultLocale: string;
  readonly onOutboundQueued: () => void;
  /** Extra jobs to schedule when a conversation is queued for people (alerts use it). */
  readonly onQueued?: (tx: PrismaClient, queued: { conversationId: string; customerId: string; isKey: boolean; queuedAt: Date }) => Promise<void>;
  readonly now?: () => Date;
}

const BUSY = ['assigned', 'waiting_for_customer'] as const;

/**
 * Who answers and how fast: queues handed-off conversations per team, assigns them by the
 * team's strategy within each agent's capacity, keeps SLA clocks in business time and warns
 * or escalates through the desk notifier. All of it runs as durable jobs.
 */
export class Routing {
  readonly #now: () => Date;
  constructor(private readonly options: RoutingOptions) {
    this.#now = options.now ?? (() => new Date());
  }

  get config(): RoutingConfig {
    return this.options.config;
  }

  teamConfig(name: string | null | undefined): TeamConfig | undefined {
    return name ? this.options.config.teams[name] : undefined;
  }

  hoursOf(name: string | null | undefined): BusinessHours | undefined {
    return this.teamConfig(name)?.hours;
  }

  register(): void {
    const { events, jobs } = this.options;
    registerNoticeDelivery(jobs, this.options.notifier);
    jobs.register(ASSIGN_JOB, z.object({ teamId: z.string() }), (job, ctx) => this.#assignQueued(job.payload.teamId, ctx));
    jobs.register(SLA_JOB, SlaCheckSchema, (job, ctx) => this.#checkSla(job.payload, ctx));
    events.subscribe('conversation.handed_off', 'routing', (event, ctx) => this.#onQueued(event.conversationId, ctx, event.escalation !== undefined));
    events.subscribe('conversation.resolved', 'routing', async (event, ctx) => {
      await ctx.write(async (tx) => {
        await endEpisode(tx, event.conversationId, 'resolved', ctx.now);
        await this.#scheduleAssignFor(tx, event.conversationId, ctx.now);
      });
    });
    // Back with the bot: the episode's clocks stop (no warning, breach or escalation follows).
    events.subscribe('conversation.handed_back', 'routing', async (event, ctx) => {
      await ctx.write(async (tx) => {
        await endEpisode(tx, event.conversationId, 'handed_back', ctx.now);
        await this.#scheduleAssignFor(tx, event.conversationId, ctx.now);
      });
    });
    events.subscribe('conversation.reopened', 'routing', (event, ctx) => ctx.write((tx) => this.#keepCapacityOnReopen(tx, event.conversationId, ctx.now)));
  }

  /** Creates or updates the configured teams and agents (availability is left as it is). */
  async syncConfig(): Promise<void> {
    const { config, db } = this.options;
    if (Object.keys(config.teams).length === 0 && config.agents.length === 0) return;
    await db.write(async (tx) => {
      const teamIds = new Map<string, string>();
      for (const name of Object.keys(config.teams)) {
        const team = await teamNamed(tx, name);
        teamIds.set(name, team.id);
      }
      for (const agent of config.agents) {
        const existing = await tx.agent.findFirst({
          where: agent.slack ? { slackUserId: agent.slack } : agent.email ? { email: agent.email } : { name: agent.name },
        });
        const data = { name: agent.name, email: agent.email ?? null, slackUserId: agent.slack ?? null, capacity: agent.capacity };
        const row = existing ? await tx.agent.update({ where: { id: existing.id }, data }) : await tx.agent.create({ data: { id: newId(), ...data } });
        await tx.teamMember.deleteMany({ where: { agentId: row.id } });
        await tx.teamMember.createMany({ data: agent.teams.map((t) => ({ teamId: teamIds.get(t) as string, agentId: row.id })) });
      }
    });
  }

  /** The desk flips this on Slack away/back; a returning agent gets queued conversations. */
  async setAvailability(agentId: string, availability: 'available' | 'away', by = 'system'): Promise<void> {
    const now = this.#now();
    await this.options.db.write(async (tx) => {
      const agent = await tx.agent.findUnique({ where: { id: agentId }, include: { teams: true } });
      if (!agent) throw new AgentFacingError('error.agent_not_found', { agent: agentId }, 404);
      await tx.agent.update({ where: { id: agentId }, data: { availability } });
      await recordAudit(tx, { at: now, actor: by, action: 'agent.availability', entityType: 'agent', entityId: agentId, data: { availability } });
      if (availability === 'available')
        await this.#scheduleAssign(
          tx,
          agent.teams.map((t) => t.teamId),
          now,
        );
    });
    this.options.jobs.notify();
  }

  /**
   * Manual assignment (or transfer to another agent) by a person or the API, through the desk:
   * the same writes, event and desk notice as an automatic assignment. Assigning a conversation
   * to the agent who has it changes nothing.
   */
  async assign(conversationId: string, agentId: string, by: string): Promise<void> {
    const now = this.#now();
    await this.options.db.write(async (tx) => {
      // One after the other: a transaction's queries share one connection (pg refuses overlapping ones).
      const conversation = await tx.conversation.findUnique({ where: { id: conversationId }, include: { team: true } });
      const agent = await tx.agent.findUnique({ where: { id: agentId } });
      if (!conversation) throw new AgentFacingError('error.conversation_not_found', { conversation: conversationId }, 404);
      if (!agent) throw new AgentFacingError('error.agent_not_found', { agent: agentId }, 404);
      if (conversation.assigneeId === agentId) return;
      if (conversation.status === 'resolved') throw new AgentFacingError('error.resolved_cannot_assign', { conversation: conversationId }, 409);
      const load = await this.#loadOf(tx, agentId);
      if (load >= agent.capacity) throw new AgentFacingError('error.over_capacity', { agent: agent.name, load, capacity: agent.capacity }, 409);
      await this.#assignOne(tx, conversation, agentId, conversation.team?.name ?? null, now, by);
    });
    this.options.jobs.notify();
  }

  /**
   * Takes the conversation from its agent (a person or the API, through the desk): it waits
   * for its team again and is queued for the team's assignment, as a hand-off queues it (the
   * agent's teams too: their room just grew). Unassigning an unassigned conversation changes
   * nothing.
   */
  async unassign(conversationId: string, by: string): Promise<void> {
    const now = this.#now();
    await this.options.db.write(async (tx) => {
      const conversation = await tx.conversation.findUnique({ where: { id: conversationId } });
      if (!conversation) throw new AgentFacingError('error.conversation_not_found', { conversation: conversationId }, 404);
      if (conversation.assigneeId === null) return;
      // Read before the update: the conversation's team and the teams of the agent who had it.
      await this.#scheduleAssignFor(tx, conversation.id, now);
      const status = conversation.status === 'assigned' ? 'waiting_for_agent' : conversation.status;
      await tx.conversation.update({ where: { id: conversation.id }, data: { assigneeId: null, status } });
      await this.#recordAssignment(tx, conversation, null, now, by);
    });
    this.options.jobs.notify();
  }

  /**
   * An agent answered the customer (the desk's reply, in the reply's transaction): the first
   * reply stops the queue episode's first-response clock (its ConversationSla row, which the
   * SLA checks, the key-customer alert and the reports read), and a conversation nobody has
   * yet (the bot's, or one waiting in a queue) goes to that agent through routing's assignment
   * (its event, audit row and "assigned to" notice). Returns whether it was assigned; the
   * caller commits and notifies the job runner. A resolved conversation is left as it is.
   */
  async agentReplied(
    tx: PrismaClient,
    conversation: { id: string; customerId: string; teamId: string | null; assigneeId: string | null; status: string },
    agentId: string,
    now: Date,
  ): Promise<boolean> {
    if (conversation.status === 'resolved') return false;
    await tx.conversationSla.updateMany({
      where: { conversationId: conversation.id, firstResponseAt: null, endedAt: null },
      data: { firstResponseAt: now, agentId },
    });
    if (conversation.assigneeId) return false;
    const team = conversation.teamId ? await tx.team.findUnique({ where: { id: conversation.teamId }, select: { name: true } }) : null;
    // Capacity limits what routing hands out, not what an agent takes on by answering: the one
    // who answered owns the conversation even when full. Leaving it unassigned would hand it to a
    // colleague who answers the customer a second time (or leave a bot conversation with the bot
    // after a person spoke). So it is assigned, recorded as over capacity, and the notice says
    // so; the agent gets no automatic assignment until their load is below capacity again.
    const agent = await tx.agent.findUniqueOrThrow({ where: { id: agentId }, select: { capacity: true } });
    const load = (await this.#loadOf(tx, agentId)) + 1;
    const overCapacity = load > agent.capacity ? { load, capacity: agent.capacity } : undefined;
    const reason = overCapacity ? `first reply, over capacity (${load} of ${agent.capacity})` : 'first reply';
    await this.#assignOne(tx, conversation, agentId, team?.name ?? null, now, `agent:${agentId}`, reason, overCapacity);
    return true;
  }

  /**
   * A hand-off queued the conversation for its team: priority rules, the team's assignment, the
   * SLA clocks in its business time, the out-of-hours message and alert timers. An escalation
   * goes on with the episode it came from (same clocks, the customer already told): only the
   * new team's assignment is added.
   */
  async #onQueued(conversationId: string, ctx: JobContext, escalated: boolean): Promise<void> {
    const now = ctx.now;
    let queuedMessage = false;
    await ctx.write(async (tx) => {
      const conversation = await tx.conversation.findUnique({
        where: { id: conversationId },
        include: { team: true, customer: true, identity: true, tickets: { where: { kind: 'complaint', status: { not: 'closed' } } } },
      });
      if (!conversation || conversation.status !== 'waiting_for_agent') return;
      const { config } = this.options;
      let priority = conversation.priority as Priority;
      if (conversation.customer.isKey) priority = raisePriority(priority, config.priority.key_customer);
      for (const ticket of conversation.tickets) {
        const raised = ticket.category ? config.priority.complaint_categories[ticket.category] : undefined;
        if (raised) priority = raisePriority(priority, raised);
      }
      if (priority !== conversation.priority) await tx.conversation.update({ where: { id: conversationId }, data: { priority } });
      if (conversation.teamId) await this.#scheduleAssign(tx, [conversation.teamId], now);
      if (escalated) return;

      const teamName = conversation.team?.name ?? null;
      const hours = this.hoursOf(teamName);
      const targets = config.sla[priority] ?? {};
      const due = (ms: number | undefined) => (ms === undefined ? null : addBusinessTime(hours, now, ms));
      // A new episode: the one before it (a transfer's origin) is over, its figures kept.
      await endEpisode(tx, conversationId, 'handed_off', now);
      await tx.conversationSla.create({
        data: {
          id: newId(),
          conversationId,
          teamId: conversation.teamId,
          priority,
          queuedAt: now,
          firstResponseDueAt: due(targets.first_response),
          resolutionDueAt: due(targets.resolution),
        },
      });
      const drafts: JobDraft[] = [];
      for (const [target, ms] of [
        ['first_response', targets.first_response],
        ['resolution', targets.resolution],
      ] as const) {
        if (ms === undefined) continue;
        const warnMs = ms - config.sla.warn_before;
        const stages: [SlaCheck['stage'], number][] =
          warnMs > 0
            ? [
                ['warning', warnMs],
                ['breach', ms],
              ]
            : [['breach', ms]];
        for (const [stage, after] of stages) {
          drafts.push({
            kind: SLA_JOB,
            laneKey: `routing:conversation:${conversationId}`,
            payload: { conversationId, target, stage, queuedAt: now.toISOString() } satisfies SlaCheck,
            runAt: addBusinessTime(hours, now, after),
            dedupKey: `sla:${conversationId}:${now.getTime()}:${target}:${stage}`,
          });
        }
      }
      await scheduleJobs(tx, this.options.db.dialect, drafts, now);

      if (hours && !isOpen(hours, now)) {
        const opening = nextOpening(hours, now);
        const locale = conversation.customer.locale ?? this.options.defaultLocale;
        if (opening) {
          const text = fill(pickText(config.messages.out_of_hours ?? OUT_OF_HOURS, locale), { opening: formatOpening(opening, locale, hours.timeZone) });
          await enqueueToCustomer(tx, this.options.db.dialect, conversation, { text, buttons: [], attachments: [] }, 'system', now);
          queuedMessage = true;
        }
      }
      await this.options.onQueued?.(tx, { conversationId, customerId: conversation.customerId, isKey: conversation.customer.isKey, queuedAt: now });
    });
    if (queuedMessage) this.options.onOutboundQueued();
  }

  async #scheduleAssignFor(tx: PrismaClient, conversationId: string, now: Date): Promise<void> {
    const conversation = await tx.conversation.findUnique({ where: { id: conversationId }, select: { teamId: true, assigneeId: true } });
    const teamIds = new Set<string>();
    if (conversation?.teamId) teamIds.add(conversation.teamId);
    if (conversation?.assigneeId) for (const m of await tx.teamMember.findMany({ where: { agentId: conversation.assigneeId } })) teamIds.add(m.teamId);
    await this.#scheduleAssign(tx, [...teamIds], now);
  }

  async #scheduleAssign(tx: PrismaClient, teamIds: readonly string[], now: Date): Promise<void> {
    await scheduleJobs(
      tx,
      this.options.db.dialect,
      teamIds.map((teamId) => ({ kind: ASSIGN_JOB, laneKey: `routing:team:${teamId}`, payload: { teamId }, runAt: now })),
      now,
    );
  }

  /** Open conversations the agent holds (what capacity counts). */
  async #loadOf(tx: PrismaClient, agentId: string): Promise<number> {
    return tx.conversation.count({ where: { assigneeId: agentId, status: { in: [...BUSY] } } });
  }

  /**
   * A reopened conversation goes back to the agent who had it only while they have room;
   * otherwise it waits in its team's queue (the reopen happened in the message's batch, this
   * runs right after it).
   */
  async #keepCapacityOnReopen(tx: PrismaClient, conversationId: string, now: Date): Promise<void> {
    const conversation = await tx.conversation.findUnique({ where: { id: conversationId }, include: { assignee: true } });
    if (!conversation?.assignee || conversation.status !== 'assigned') return;
    if ((await this.#loadOf(tx, conversation.assignee.id)) <= conversation.assignee.capacity) return;
    await tx.conversation.update({ where: { id: conversationId }, data: { status: 'waiting_for_agent', assigneeId: null } });
    await this.#recordAssignment(tx, conversation, null, now, 'system', `${conversation.assignee.name} is at capacity`);
    if (conversation.teamId) await this.#scheduleAssign(tx, [conversation.teamId], now);
  }

  /**
   * Assigns the team's queue, most urgent and longest waiting first, while anyone has room.
   * A closed team assigns nothing: its queue waits, and this runs again when it opens.
   */
  async #assignQueued(teamId: string, ctx: JobContext): Promise<void> {
    await ctx.write(async (tx) => {
      const team = await tx.team.findUnique({ where: { id: teamId }, include: { members: { include: { agent: true } } } });
      if (!team) return;
      const strategy = this.teamConfig(team.name)?.strategy ?? 'round_robin';
      if (strategy === 'manual') return;
      const hours = this.hoursOf(team.name);
      if (hours && !isOpen(hours, ctx.now)) {
        const opening = nextOpening(hours, ctx.now);
        if (opening)
          await scheduleJobs(
            tx,
            this.options.db.dialect,
            [
              {
                kind: ASSIGN_JOB,
                laneKey: `routing:team:${teamId}`,
                payload: { teamId },
                runAt: opening,
                dedupKey: `${ASSIGN_JOB}:${teamId}:${opening.getTime()}`,
              },
            ],
            ctx.now,
          );
        return;
      }
      const queue = queueOrder(
        await tx.conversation.findMany({
          where: { teamId, status: 'waiting_for_agent', assigneeId: null },
          select: { id: true, priority: true, customerId: true },
        }),
      );
      if (queue.length === 0) return;
      const available = team.members.map((m) => m.agent).filter((a) => a.availability === 'available');
      const loads = await tx.conversation.groupBy({
        by: ['assigneeId'],
        where: { assigneeId: { in: available.map((a) => a.id) }, status: { in: [...BUSY] } },
        _count: { _all: true },
      });
      const candidates: Candidate[] = available.map((a) => ({
        id: a.id,
        capacity: a.capacity,
        load: loads.find((l) => l.assigneeId === a.id)?._count._all ?? 0,
      }));
      let previous = team.lastAssignedAgentId;
      for (const conversation of queue) {
        const agent = pickAgent(strategy, candidates, previous);
        if (!agent) break;
        agent.load++;
        previous = agent.id;
        await this.#assignOne(tx, { ...conversation, teamId }, agent.id, team.name, ctx.now, 'system');
      }
      await tx.team.update({ where: { id: teamId }, data: { lastAssignedAgentId: previous } });
    });
  }

  /** The audit entry and `conversation.assigned` event of an assignment (agentId null: unassigned). */
  async #recordAssignment(
    tx: PrismaClient,
    conversation: { id: string; customerId: string },
    agentId: string | null,
    now: Date,
    by: string,
    reason?: string,
  ): Promise<void> {
    await recordAudit(tx, {
      at: now,
      actor: by,
      action: 'conversation.assign',
      entityType: 'conversation',
      entityId: conversation.id,
      data: { agentId, ...(reason ? { reason } : {}) },
    });
    await this.options.events.emit(tx, [{ type: 'conversation.assigned', conversationId: conversation.id, customerId: conversation.customerId, agentId }], now);
  }

  async #assignOne(
    tx: PrismaClient,
    conversation: { id: string; customerId: string; teamId: string | null },
    agentId: string,
    team: string | null,
    now: Date,
    by: string,
    reason?: string,
    overCapacity?: { load: number; capacity: number },
  ): Promise<void> {
    await tx.conversation.update({ where: { id: conversation.id }, data: { status: 'assigned', assigneeId: agentId } });
    await tx.conversationSla.updateMany({ where: { conversationId: conversation.id, endedAt: null, agentId: null }, data: { agentId } });
    await this.#recordAssignment(tx, conversation, agentId, now, by, reason);
    await queueNotice(
      tx,
      this.options.db.dialect,
      { kind: 'assignment', conversationId: conversation.id, agentId, team, ...(overCapacity ? { overCapacity } : {}) },
      `assign:${conversation.id}:${agentId}:${now.getTime()}`,
      now,
    );
  }

  async #checkSla(check: SlaCheck, ctx: JobContext): Promise<void> {
    await ctx.write(async (tx) => {
      const sla = await tx.conversationSla.findFirst({
        where: { conversationId: check.conversationId, queuedAt: new Date(check.queuedAt) },
        orderBy: { id: 'desc' },
      });
      // The episode ended (resolved, handed back to the bot, handed off again): its clocks stopped.
      if (!sla || sla.endedAt) return;
      // The desk's reply records the episode's first response (agentReplied); a reply stored
      // before it did so shows only on the conversation (its first reply ever): count that too.
      const current = await tx.conversation.findUnique({ where: { id: check.conversationId }, select: { firstResponseAt: true, status: true } });
      if (!current || current.status === 'bot') return;
      const replied = current.firstResponseAt && current.firstResponseAt >= sla.queuedAt ? current.firstResponseAt : null;
      if (replied && !sla.firstResponseAt) await tx.conversationSla.update({ where: { id: sla.id }, data: { firstResponseAt: replied } });
      const met =
        check.target === 'first_response'
          ? (sla.firstResponseAt ?? replied ?? sla.resolvedAt)
          : (sla.resolvedAt ?? (current.status === 'resolved' ? ctx.now : null));
      if (met) return;
      const dueAt = (check.target === 'first_response' ? sla.firstResponseDueAt : sla.resolutionDueAt)?.toISOString() ?? ctx.now.toISOString();
      const conversation = await tx.conversation.findUniqueOrThrow({ where: { id: check.conversationId }, include: { team: true } });
      const team = conversation.team?.name ?? null;
      const key = `sla:${check.conversationId}:${check.queuedAt}:${check.target}:${check.stage}`;
      if (check.stage === 'warning') {
        await queueNotice(
          tx,
          this.options.db.dialect,
          { kind: 'sla.warning', conversationId: check.conversationId, target: check.target, dueAt, team },
          key,
          ctx.now,
        );
        return;
      }
      await tx.conversationSla.update({
        where: { id: sla.id },
        data: check.target === 'first_response' ? { firstResponseBreached: true } : { resolutionBreached: true },
      });
      const escalation = this.teamConfig(team)?.escalation ?? {};
      let transferredTo: string | undefined;
      if (escalation.transfer_to && escalation.transfer_to !== team) {
        // The desk's transfer: the new team's card and queue come from its hand-off event.
        const teamId = await transferConversation(
          tx,
          this.options.events,
          conversation,
          { team: escalation.transfer_to, note: `escalated: the ${check.target.replace('_', ' ')} target (${dueAt}) was missed${team ? ` in ${team}` : ''}` },
          ctx.now,
          check.target,
        );
        await tx.conversationSla.update({ where: { id: sla.id }, data: { teamId } });
        await recordAudit(tx, {
          at: ctx.now,
          actor: 'system',
          action: 'conversation.escalate',
          entityType: 'conversation',
          entityId: conversation.id,
          data: { from: team, to: escalation.transfer_to, target: check.target },
        });
        transferredTo = escalation.transfer_to;
      }
      await queueNotice(
        tx,
        this.options.db.dialect,
        { kind: 'sla.breached', conversationId: check.conversationId, target: check.target, dueAt, team, mention: escalation.mention, transferredTo },
        key,
        ctx.now,
      );
    });
  }
}

/** Closes the conversation's open hand-off episode, if any (resolved also stops its resolution clock). */
async function endEpisode(tx: PrismaClient, conversationId: string, reason: 'resolved' | 'handed_back' | 'handed_off', now: Date): Promise<void> {
  await tx.conversationSla.updateMany({
    where: { conversationId, endedAt: null },
    data: { endedAt: now, endReason: reason, ...(reason === 'resolved' ? { resolvedAt: now } : {}) },
  });
}
