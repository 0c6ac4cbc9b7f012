import type { Logger } from 'pino';
import { z } from 'zod';
import type { ChannelCapabilities } from '../core/channel.ts';
import type { Database } from '../db/database.ts';
import type { EventBus } from '../pipeline/events.ts';
import { dispatchSurvey, queuedSurveys } from './surveys.ts';
import type { ContactPolicy } from '../contact/policy.ts';
import { AcknowledgeHandler, type ConversationHandler, HumanHandledConversation, isHumanHandled, type Turn } from '../pipeline/handler.ts';
import { type JobContext, type JobRunner, scheduleJobs } from '../pipeline/jobs.ts';
import type { Classification, IntentClassifier } from './intent.ts';
import { type Effect, newSession, type RunContext, type RunInput, type RunResult, runFlow, type SessionState } from './interpreter.ts';
import type { FlowRegistry } from './registry.ts';
import type { Flow } from './schema.ts';
import { abandoned, addRuns, FlowSessionStore, isFollowUp, isStartedByPerson, pendingRows, toState } from './session-store.ts';
import { type Before, queueDueTimers, TIMER_JOB, type TimerJob, TimerJobSchema, timerInput } from './timers.ts';
import { eventStartJobs, flowsFor, pickFlow, queuedSurveyStartJobs, START_JOB, type StartJob, StartJobSchema } from './triggers.ts';
import { type CampaignStart, FlowEffects } from './effects.ts';
import { skipCampaignFlowStart } from '../campaigns/recipients.ts';
import { type WinbackRule, scheduleSweep, sweepInactive, SWEEP_JOB } from './inactivity-sweep.ts';

export interface FlowEngineOptions {
  readonly registry: FlowRegistry;
  readonly db: Database;
  readonly events: EventBus;
  readonly jobs: JobRunner;
  readonly classifier: IntentClassifier;
  readonly logger: Logger;
  readonly defaultRegion: string | undefined;
  readonly defaultLocale: string;
  readonly capabilitiesOf: (channel: string) => ChannelCapabilities | undefined;
  /** Called when sends were queued outside an inbound turn (timers, events). */
  readonly onOutboundQueued: () => void;
  /** Said when no flow takes a message (no default flow): the plain acknowledgement. */
  readonly ackText?: string;
  /** Answers the messages no flow takes, instead of the acknowledgement (e.g. the Botkit bridge). */
  readonly fallback?: ConversationHandler;
  /** What a customer waiting for an agent is told (when to expect an answer); nothing when undefined. */
  readonly holding?: (turn: Turn) => Promise<string | undefined>;
  readonly fetch?: typeof fetch;
  readonly now?: () => Date;
  /** Who a win-back may contact, and when its starts are due (routing's lifecycle rule, the contact policy, the outreach budget). */
  readonly winback: WinbackRule;
  /** Customers the `inactive` sweep reads at a time (default 500); it pages through all of them. */
  readonly inactiveSweepPage?: number;
  /** The contact policy automatic surveys (flows started by conversation.resolved or ticket.closed) and win-back starts follow. */
  readonly contactPolicy: ContactPolicy;
}

const AUTOMATIC_SURVEY = /^event:/;
const MAX_CHAINED_FLOWS = 5;

/**
 * The bot: runs marketer-authored flows as the handler of bot conversations. Sessions are
 * read for a whole batch in one query and written in one statement, each with its one
 * pending timer; a due timer and every trigger run as durable jobs, so a restart resumes
 * every customer where they were.
 */
export class FlowEngine implements ConversationHandler {
  readonly name = 'flows';
  readonly #human: HumanHandledConversation;
  readonly #fallback: ConversationHandler;
  readonly #now: () => Date;
  readonly #sessions: FlowSessionStore;
  readonly #effects: FlowEffects;

  constructor(private readonly options: FlowEngineOptions) {
    this.#fallback = options.fallback ?? new AcknowledgeHandler(options.ackText);
    this.#human = new HumanHandledConversation(options.holding);
    this.#now = options.now ?? (() => new Date());
    this.#sessions = new FlowSessionStore(options.db);
    this.#effects = new FlowEffects({ dialect: options.db.dialect, defaultRegion: options.defaultRegion });
  }

  /** Subscribes to the events that start flows and registers the engine's jobs. */
  register(): void {
    const { events, jobs } = this.options;
    jobs.register(TIMER_JOB, TimerJobSchema, (job, ctx) => this.#onTimer(job.payload, ctx));
    jobs.register(START_JOB, StartJobSchema, (job, ctx) => this.#onStart(job.payload, ctx));
    jobs.register(SWEEP_JOB, z.object({}), (_job, ctx) =>
      sweepInactive(ctx, this.options.registry.all(), this.options.winback, Math.max(1, this.options.inactiveSweepPage ?? 500)),
    );
    jobs.addSource(TIMER_JOB, (now) => queueDueTimers(this.options.db, now));
    for (const type of ['conversation.resolved', 'ticket.closed'] as const) {
      events.subscribe(type, 'flows', async (event, ctx) => {
        const conversationId = event.conversationId;
        if (!conversationId) return;
        if (flowsFor(this.options.registry.all(), (t) => 'event' in t && t.event === type).length === 0) return;
        const conversation = await ctx.db.prisma.conversation.findUnique({ where: { id: conversationId }, include: { identity: true } });
        if (!conversation) return;
        const ticketId = event.type === 'ticket.closed' ? event.ticketId : undefined;
        const drafts = eventStartJobs(this.options.registry.all(), type, conversation, ticketId, ctx.now);
        await ctx.write((tx) => scheduleJobs(tx, this.options.db.dialect, drafts, ctx.now).then(() => {}));
      });
    }
    // Surveys that waited while an agent held the conversation go out when it is resolved.
    events.subscribe('conversation.resolved', 'flows.queued-surveys', async (event, ctx) => {
      const conversation = await ctx.db.prisma.conversation.findUnique({ where: { id: event.conversationId }, include: { identity: true } });
      if (!conversation) return;
      await ctx.write(async (tx) => {
        const drafts = queuedSurveyStartJobs(await queuedSurveys(tx, conversation.id), conversation, ctx.now);
        await scheduleJobs(tx, this.options.db.dialect, drafts, ctx.now);
      });
    });
    events.subscribe('flow.start_requested', 'flows', async (event, ctx) => {
      await this.#onStart({ flowId: event.flowId, conversationId: event.conversationId, by: event.by }, ctx);
    });
  }

  /** Schedules the win-back sweep when a flow has an inactivity trigger (idempotent). */
  scheduleSweep(now = this.#now()): Promise<void> {
    return scheduleSweep(this.options.db, this.options.registry.all(), now);
  }

  async handle(turn: Turn): Promise<void> {
    const metadata = turn.inbound.metadata as Record<string, unknown>;
    // Auto-replies, bounces and consent keywords are stored but never answered by a flow.
    if (turn.inbound.automated || metadata.automated === true || metadata.consent !== undefined) return;
    const row = (await this.#sessions.ofBatch(turn.batch)).get(turn.conversation.id);
    let state = row ? toState(row) : undefined;

    if (state && turn.reopened && isFollowUp(state.startedBy)) turn.keepResolved();
    else if (isHumanHandled(turn.conversation) && !(state && isStartedByPerson(state.startedBy))) {
      // A person has the conversation: the bot stays quiet (and a running bot flow ends).
      if (state) this.#sessions.queue(turn, [{ state: abandoned(state), result: undefined }]);
      return this.#human.handle(turn);
    }

    let flow: Flow | undefined;
    let input: RunInput = {
      kind: 'message',
      input: { text: turn.message.text, interactiveReplyId: turn.message.interactiveReplyId, attachments: turn.inbound.attachments },
    };
    if (state) {
      flow = await this.options.registry.version(state.flowId, state.flowVersion);
      if (!flow) {
        turn.logger.error({ flow: state.flowId, version: state.flowVersion }, 'flow version of a running session is gone; the session ends');
        this.#sessions.queue(turn, [{ state: abandoned(state), result: undefined }]);
        state = undefined;
      }
    }
    if (!state || !flow) {
      flow = await pickFlow(this.options.registry.all(), { text: turn.message.text, isNewConversation: turn.isNewConversation }, (text) =>
        this.#classify(turn, text),
      );
      if (!flow) return this.#fallback.handle(turn);
      state = newSession(flow, 'trigger');
      input = { kind: 'start' };
    }
    const ctx = this.#context(turn);
    const runs = await this.#runChain(flow, state, input, ctx, 'trigger');
    await this.#effects.inTurn(turn, runs, (text) => this.#classify(turn, text));
    this.#sessions.queue(turn, runs, row);
  }

  /** Whether the turn's conversation is in a running flow session (read with the batch's sessions: no query of its own). */
  async hasActiveSession(turn: Turn): Promise<boolean> {
    return (await this.#sessions.ofBatch(turn.batch)).has(turn.conversation.id);
  }

  /** Runs a flow, then any flows it starts (start_flow), in the same turn. */
  async #runChain(
    flow: Flow,
    state: SessionState,
    input: RunInput,
    ctx: RunContext,
    startedBy: string,
  ): Promise<{ state: SessionState; result: RunResult | undefined }[]> {
    const runs: { state: SessionState; result: RunResult | undefined }[] = [];
    let currentFlow: Flow | undefined = flow;
    let currentState = state;
    let currentInput = input;
    for (let i = 0; currentFlow && i < MAX_CHAINED_FLOWS; i++) {
      const result = await runFlow(currentFlow, currentState, currentInput, ctx);
      runs.push({ state: result.state, result });
      const next = result.effects.find((e): e is Extract<Effect, { type: 'start_flow' }> => e.type === 'start_flow');
      currentFlow = next ? this.options.registry.get(next.flowId) : undefined;
      if (next && !currentFlow) this.options.logger.error({ flow: next.flowId }, 'start_flow names a flow that is not loaded');
      if (currentFlow) {
        currentState = newSession(currentFlow, currentState.startedBy === 'trigger' ? startedBy : currentState.startedBy);
        currentInput = { kind: 'start' };
      }
    }
    return runs;
  }

  #context(turn: Turn): RunContext {
    return this.#runContext(turn.customer, {
      isNewCustomer: turn.isNewCustomer,
      channel: turn.conversation.channel,
      locale: turn.locale,
      capabilities: turn.capabilities,
      now: turn.now,
      lastText: turn.message.text,
    });
  }

  /** What a run may read: the customer as stored, the moment, and the engine's fixed parts. */
  #runContext(
    customer: { name: string | null; attributes: unknown; tags: unknown },
    moment: Pick<RunContext, 'isNewCustomer' | 'channel' | 'locale' | 'capabilities' | 'now' | 'lastText'>,
  ): RunContext {
    return {
      customer: {
        name: customer.name,
        attributes: (customer.attributes ?? {}) as Record<string, unknown>,
        tags: (customer.tags ?? []) as string[],
      },
      ...moment,
      defaultRegion: this.options.defaultRegion,
      classifier: this.options.classifier,
      fetch: this.options.fetch ?? fetch,
    };
  }

  /** The classification of the turn's message, made once per message. */
  #classify(turn: Turn, text: string): Promise<Classification> {
    return turn.batch.shared(`flows.intent.${turn.message.id}`, () =>
      this.options.classifier.classify(text, turn.locale, { channel: turn.conversation.channel }),
    );
  }

  /** Starts a flow for a conversation outside an inbound message (events, agents, schedules). */
  async #onStart(payload: StartJob, ctx: JobContext): Promise<void> {
    const flow = this.options.registry.get(payload.flowId);
    if (!flow) throw new Error(`flow "${payload.flowId}" is not loaded`);
    const conversation = await ctx.db.prisma.conversation.findUnique({ where: { id: payload.conversationId }, include: { customer: true, identity: true } });
    if (!conversation) return;
    const active = await this.#sessions.active(ctx.db.prisma, conversation.id);
    const byPerson = isStartedByPerson(payload.by);
    // Never talk over a person: automatic starts skip conversations a human handles; a survey
    // waits for the agent to resolve it, and every survey counts against the contact cap.
    if (!byPerson && AUTOMATIC_SURVEY.test(payload.by)) {
      const request = {
        customerId: conversation.customerId,
        conversationId: conversation.id,
        channel: conversation.channel,
        flowId: flow.id,
        ticketId: payload.ticketId,
        dispatchId: payload.dispatchId,
        humanHandled: isHumanHandled(conversation),
      };
      let startNow = false;
      await ctx.write(async (tx) => {
        startNow = await dispatchSurvey(tx, request, this.options.contactPolicy, ctx.now);
      });
      if (!startNow) return;
    }
    if (!byPerson && isHumanHandled(conversation)) {
      const recipientId = payload.campaignRecipientId;
      if (recipientId) await ctx.write((tx) => skipCampaignFlowStart(tx, recipientId, 'open_conversation'));
      return;
    }
    const state = newSession(flow, payload.by);
    const campaign = payload.campaignRecipientId ? { recipientId: payload.campaignRecipientId, purpose: payload.purpose } : undefined;
    await this.#runOutsideTurn(conversation, flow, state, { kind: 'start' }, ctx, active ? [abandoned(toState(active))] : [], undefined, campaign);
  }

  async #onTimer(payload: TimerJob, ctx: JobContext): Promise<void> {
    const row = await this.#sessions.get(ctx.db.prisma, payload.sessionId);
    if (!row || row.status !== 'active' || row.seq !== payload.seq) return;
    const conversation = await ctx.db.prisma.conversation.findUnique({ where: { id: row.conversationId }, include: { customer: true, identity: true } });
    if (!conversation) return;
    const state = toState(row);
    if (isHumanHandled(conversation) && !isStartedByPerson(state.startedBy)) {
      const rows = pendingRows();
      addRuns(rows, conversation.id, conversation.customerId, [{ state: abandoned(state), result: undefined }], ctx.now);
      await ctx.write((tx) => this.#sessions.flush(tx, rows));
      return;
    }
    const flow = await this.options.registry.version(state.flowId, state.flowVersion);
    if (!flow) return;
    await this.#runOutsideTurn(conversation, flow, state, timerInput(payload), ctx, [], row);
  }

  async #runOutsideTurn(
    conversation: NonNullable<Awaited<ReturnType<Database['prisma']['conversation']['findUnique']>>> & {
      customer: { id: string; name: string | null; attributes: unknown; tags: unknown; locale: string | null; lifecycleStage: string };
      identity: { address: string };
    },
    flow: Flow,
    state: SessionState,
    input: RunInput,
    ctx: JobContext,
    ended: SessionState[],
    before?: Before,
    campaign?: CampaignStart,
  ): Promise<void> {
    const now = ctx.now;
    // Outside a message, "new" means a customer still in the new stage on their first conversation.
    const isNewCustomer =
      conversation.customer.lifecycleStage === 'new' && (await ctx.db.prisma.conversation.count({ where: { customerId: conversation.customerId } })) <= 1;
    const runContext = this.#runContext(conversation.customer, {
      isNewCustomer,
      channel: conversation.channel,
      locale: conversation.customer.locale ?? this.options.defaultLocale,
      capabilities: this.options.capabilitiesOf(conversation.channel),
      now,
      lastText: undefined,
    });
    const runs = await this.#runChain(flow, state, input, runContext, state.startedBy);
    let queued = false;
    await ctx.write(async (tx) => {
      const rows = pendingRows();
      addRuns(
        rows,
        conversation.id,
        conversation.customerId,
        ended.map((s) => ({ state: s, result: undefined })),
        now,
      );
      addRuns(rows, conversation.id, conversation.customerId, runs, now, before);
      const applied = await this.#effects.inTransaction(tx, conversation, runs, now, campaign);
      queued = applied.queued;
      await this.#sessions.flush(tx, rows);
      await this.options.events.emit(tx, applied.events, now);
    });
    if (queued) this.options.onOutboundQueued();
  }
}
