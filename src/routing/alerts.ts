import type { AgentText } from '../agent-text/agent-text.ts';
import { z } from 'zod';
import { newId } from '../core/ids.ts';
import { bulkInsert } from '../db/bulk-insert.ts';
import type { Database, Prisma as PrismaClient } from '../db/database.ts';
import type { EventBus } from '../pipeline/events.ts';
import { type JobContext, type JobRunner, scheduleJobs } from '../pipeline/jobs.ts';
import { Duration } from './config.ts';
import { formatDuration } from '../core/duration.ts';
import { queueNotice } from './notifier.ts';
import type { AlertContext } from './alert-texts.ts';
import { SlackMentionSchema } from './slack-mention.ts';
import { conversationRef } from '../desk/desk.ts';
import { FIRING_COLUMNS } from '../db/columns.ts';
import { OPEN_TICKET_STATUSES } from './ticket-statuses.ts';

const When = z.union([
  z.object({ complaints_per_customer: z.object({ more_than: z.number().int().nonnegative(), within: Duration }).strict() }).strict(),
  z.object({ csat_at_most: z.number().int().min(1).max(5) }).strict(),
  z.object({ key_customer_waiting: Duration }).strict(),
  z.object({ complaint_spike: z.object({ more_than: z.number().int().nonnegative(), within: Duration, category: z.string().optional() }).strict() }).strict(),
]);

const Rule = z
  .object({
    id: z.string().regex(/^[a-z0-9_-]+$/, 'a rule id is lowercase letters, digits, _ and -'),
    when: When,
    notify: z
      .object({ slack: z.string().optional(), email: z.email().optional(), mention: SlackMentionSchema.optional() })
      .strict()
      .refine((n) => n.slack || n.email, 'notify needs a slack channel and/or an email address'),
  })
  .strict();

/** The alert rules file (PARLEY_ALERTS_CONFIG). */
export const AlertsConfigSchema = z
  .object({ rules: z.array(Rule).default([]) })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.rules.forEach((r, i) => {
      if (seen.has(r.id)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'id'], message: `rule id "${r.id}" is used twice` });
      seen.add(r.id);
    });
  });
export type AlertsConfig = z.output<typeof AlertsConfigSchema>;
export type AlertRule = z.output<typeof Rule>;

const WAIT_JOB = 'alerts.key-customer-waiting';

/**
 * Evaluates the alert rules when complaints, surveys and queued key customers happen. Each
 * occurrence has a cause key; a firing row per (rule, cause) keeps it from repeating.
 */
export class Alerts {
  constructor(
    private readonly db: Database,
    private readonly config: AlertsConfig,
    private readonly text: AgentText,
  ) {}

  register(events: EventBus, jobs: JobRunner): void {
    if (this.config.rules.length === 0) return;
    events.subscribe('ticket.created', 'alerts', (event, ctx) => this.#onTicket(event.ticketId, ctx));
    events.subscribe('survey.recorded', 'alerts', async (event, ctx) => {
      await ctx.write(async (tx) => {
        if (event.kind !== 'csat') return;
        for (const rule of this.#rules('csat_at_most')) {
          if (event.score <= rule.when.csat_at_most)
            await this.#fire(
              tx,
              rule,
              `survey:${event.surveyId}`,
              this.text.t('alert.csat_at_most', { score: event.score }),
              { customerId: event.customerId, conversationId: event.conversationId ?? undefined },
              ctx.now,
            );
        }
      });
    });
    jobs.register(WAIT_JOB, z.object({ ruleId: z.string(), conversationId: z.string(), customerId: z.string(), queuedAt: z.string() }), (job, ctx) =>
      this.#checkWaiting(job.payload, ctx),
    );
  }

  /** Called when a conversation is queued for people (Routing.onQueued). */
  async onQueued(tx: PrismaClient, queued: { conversationId: string; customerId: string; isKey: boolean; queuedAt: Date }): Promise<void> {
    if (!queued.isKey) return;
    const drafts = this.#rules('key_customer_waiting').map((rule) => ({
      kind: WAIT_JOB,
      laneKey: `alerts:${queued.conversationId}`,
      payload: { ruleId: rule.id, conversationId: queued.conversationId, customerId: queued.customerId, queuedAt: queued.queuedAt.toISOString() },
      runAt: new Date(queued.queuedAt.getTime() + rule.when.key_customer_waiting),
    }));
    await scheduleJobs(tx, this.db.dialect, drafts, queued.queuedAt);
  }

  #rules<K extends string>(kind: K): (AlertRule & { when: Extract<AlertRule['when'], Record<K, unknown>> })[] {
    return this.config.rules.filter((r) => kind in r.when) as never;
  }

  async #onTicket(ticketId: string, ctx: JobContext): Promise<void> {
    await ctx.write(async (tx) => {
      const ticket = await tx.ticket.findUnique({ where: { id: ticketId } });
      if (!ticket || ticket.kind !== 'complaint') return;
      for (const rule of this.#rules('complaints_per_customer')) {
        const { more_than, within } = rule.when.complaints_per_customer;
        const recent = await tx.ticket.findMany({
          where: { customerId: ticket.customerId, kind: 'complaint', createdAt: { gt: new Date(ticket.createdAt.getTime() - within), lte: ticket.createdAt } },
          orderBy: { id: 'asc' },
          select: { id: true },
        });
        // One occurrence per run of complaints: keyed by the first complaint of the window.
        if (recent.length > more_than)
          await this.#fire(
            tx,
            rule,
            `customer:${ticket.customerId}:${recent[0]!.id}`,
            this.text.t('alert.complaints_per_customer', { count: recent.length, within: this.text.digits(formatDuration(within)) }),
            { customerId: ticket.customerId, conversationId: ticket.conversationId ?? undefined, ticketId: ticket.id },
            ctx.now,
          );
      }
      for (const rule of this.#rules('complaint_spike')) {
        const { more_than, within, category } = rule.when.complaint_spike;
        if (category && ticket.category !== category) continue;
        const recent = await tx.ticket.findMany({
          where: { kind: 'complaint', category: ticket.category, createdAt: { gt: new Date(ticket.createdAt.getTime() - within), lte: ticket.createdAt } },
          orderBy: { id: 'asc' },
          select: { id: true },
        });
        if (recent.length > more_than)
          await this.#fire(
            tx,
            rule,
            `category:${ticket.category ?? ''}:${recent[0]!.id}`,
            this.text.t('alert.complaint_spike', {
              count: recent.length,
              category: ticket.category ?? this.text.t('alert.no_category'),
              within: this.text.digits(formatDuration(within)),
            }),
            {},
            ctx.now,
          );
      }
    });
  }

  async #checkWaiting(payload: { ruleId: string; conversationId: string; customerId: string; queuedAt: string }, ctx: JobContext): Promise<void> {
    const rule = this.config.rules.find((r) => r.id === payload.ruleId);
    if (!rule || !('key_customer_waiting' in rule.when)) return;
    const waited = rule.when.key_customer_waiting;
    await ctx.write(async (tx) => {
      const sla = await tx.conversationSla.findFirst({
        where: { conversationId: payload.conversationId, queuedAt: new Date(payload.queuedAt) },
        orderBy: { id: 'desc' },
      });
      if (!sla || sla.firstResponseAt || sla.endedAt) return;
      await this.#fire(
        tx,
        rule,
        `conversation:${payload.conversationId}:${payload.queuedAt}`,
        this.text.t('alert.key_customer_waiting', { waited: this.text.digits(formatDuration(waited)) }),
        { customerId: payload.customerId, conversationId: payload.conversationId },
        ctx.now,
      );
    });
  }

  async #fire(
    tx: PrismaClient,
    rule: AlertRule,
    causeKey: string,
    text: string,
    { ticketId, ...about }: { customerId?: string; conversationId?: string; ticketId?: string },
    now: Date,
  ): Promise<void> {
    const created = await bulkInsert(
      tx,
      this.db.dialect,
      'AlertFiring',
      FIRING_COLUMNS,
      [{ id: newId(), ruleId: rule.id, causeKey, at: now, data: { text, ...about } }],
      { skipConflictsOn: ['ruleId', 'causeKey'] },
    );
    if (created.length === 0) return;
    await queueNotice(
      tx,
      this.db.dialect,
      {
        kind: 'alert',
        ruleId: rule.id,
        text,
        slackChannel: rule.notify.slack,
        email: rule.notify.email,
        mention: rule.notify.mention,
        context: await alertContext(tx, { ...about, ticketId }),
        ...about,
      },
      `alert:${rule.id}:${causeKey}`,
      now,
    );
  }
}

/** The customer, channel, conversation ref and tickets an alert is about, read in the firing transaction. */
async function alertContext(tx: PrismaClient, about: { customerId?: string; conversationId?: string; ticketId?: string }): Promise<AlertContext | undefined> {
  if (!about.customerId && !about.conversationId) return undefined;
  const customer = about.customerId ? await tx.customer.findUnique({ where: { id: about.customerId }, select: { name: true, isKey: true } }) : null;
  const conversation = about.conversationId
    ? await tx.conversation.findUnique({ where: { id: about.conversationId }, select: { id: true, ref: true, channel: true } })
    : null;
  const tickets = await tx.ticket.findMany({
    where: {
      OR: [
        ...(about.ticketId ? [{ id: about.ticketId }] : []),
        ...(conversation ? [{ conversationId: conversation.id, status: { in: [...OPEN_TICKET_STATUSES] } }] : []),
      ],
    },
    orderBy: { id: 'asc' },
    take: 5,
    select: { ref: true },
  });
  return {
    ...(customer ? { customerName: customer.name, isKey: customer.isKey } : {}),
    ...(conversation ? { channel: conversation.channel, conversationRef: conversationRef(conversation) } : {}),
    ticketRefs: tickets.map((t) => t.ref),
  };
}
