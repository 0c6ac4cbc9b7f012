import type { Logger } from 'pino';
import type { AgentText } from '../agent-text/agent-text.ts';
import { z } from 'zod';
import type { Dialect, Prisma as PrismaClient } from '../db/database.ts';
import { type JobRunner, scheduleJobs } from '../pipeline/jobs.ts';
import { alertContextLine } from './alert-texts.ts';

/** Everything that must reach agents, typed; the desk (Slack), email or a log shows it. */
export const DeskNoticeSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('assignment'),
    conversationId: z.string(),
    agentId: z.string(),
    team: z.string().nullable(),
    /** Set when the agent took it by answering while full: their open conversations now, and their capacity. */
    overCapacity: z.object({ load: z.number().int(), capacity: z.number().int() }).optional(),
  }),
  z.object({
    kind: z.literal('sla.warning'),
    conversationId: z.string(),
    target: z.enum(['first_response', 'resolution']),
    dueAt: z.string(),
    team: z.string().nullable(),
  }),
  z.object({
    kind: z.literal('sla.breached'),
    conversationId: z.string(),
    target: z.enum(['first_response', 'resolution']),
    dueAt: z.string(),
    team: z.string().nullable(),
    /** Who the desk mentions, in Slack's wire form (e.g. "<!subteam^S0123>"). */
    mention: z.string().optional(),
    /** The team that took the conversation over. */
    transferredTo: z.string().optional(),
  }),
  z.object({
    kind: z.literal('alert'),
    ruleId: z.string(),
    text: z.string(),
    /** Where the rule asks to be told; a notifier skips destinations it does not serve. */
    slackChannel: z.string().optional(),
    email: z.string().optional(),
    customerId: z.string().optional(),
    conversationId: z.string().optional(),
    /** Slack mentions from the rule (wire form, e.g. "<!subteam^S0123>"). */
    mention: z.string().optional(),
    /** Who and what it is about, as agents identify them (read when the alert fired). */
    context: z
      .object({
        customerName: z.string().nullable().optional(),
        isKey: z.boolean().optional(),
        channel: z.string().optional(),
        conversationRef: z.string().optional(),
        ticketRefs: z.array(z.string()).optional(),
      })
      .optional(),
  }),
]);
export type DeskNotice = z.output<typeof DeskNoticeSchema>;

export interface DeskNotifier {
  notify(notice: DeskNotice): Promise<void>;
}

const NOTIFY_JOB = 'desk.notify';

/** Stores a notice in the caller's transaction; it is delivered (with retries) after commit. */
export async function queueNotice(tx: PrismaClient, dialect: Dialect, notice: DeskNotice, dedupKey: string, now: Date): Promise<void> {
  const parsed = DeskNoticeSchema.parse(notice);
  await scheduleJobs(
    tx,
    dialect,
    [
      {
        kind: NOTIFY_JOB,
        laneKey: `desk:${'conversationId' in parsed && parsed.conversationId ? parsed.conversationId : parsed.kind}`,
        payload: parsed,
        dedupKey: `notice:${dedupKey}`,
        runAt: now,
      },
    ],
    now,
  );
}

export function registerNoticeDelivery(jobs: JobRunner, notifier: () => DeskNotifier): void {
  jobs.register(NOTIFY_JOB, DeskNoticeSchema, async (job) => {
    await notifier().notify(job.payload);
  });
}

/** The notice as one line in the agents' language, dates on their clock and calendar. */
export function describeNotice(notice: DeskNotice, text: AgentText): string {
  switch (notice.kind) {
    case 'assignment': {
      const values = { conversation: notice.conversationId, agent: notice.agentId, team: notice.team ?? '' };
      const line = text.t(notice.team ? 'notice.assignment_team' : 'notice.assignment', values);
      return notice.overCapacity ? `${line} ${text.t('notice.over_capacity', notice.overCapacity)}` : line;
    }
    case 'sla.warning':
      return text.t('notice.sla_warning', {
        target: text.t(`sla.${notice.target}`),
        conversation: notice.conversationId,
        due: text.dateTime(new Date(notice.dueAt)),
      });
    case 'sla.breached': {
      const parts = [
        text.t('notice.sla_breached', {
          target: text.t(`sla.${notice.target}`),
          conversation: notice.conversationId,
          due: text.dateTime(new Date(notice.dueAt)),
        }),
      ];
      if (notice.mention) parts.push(notice.mention);
      if (notice.transferredTo) parts.push(text.t('notice.transferred', { team: notice.transferredTo }));
      return parts.join(' ');
    }
    case 'alert':
      return `${text.t('notice.alert', { rule: notice.ruleId, text: notice.text })}${notice.context ? ` ${alertContextLine(notice.context, text)}` : ''}`;
  }
}

/** The default: every notice in the log. */
export class LoggingNotifier implements DeskNotifier {
  constructor(
    private readonly logger: Logger,
    private readonly text: AgentText,
  ) {}
  async notify(notice: DeskNotice): Promise<void> {
    this.logger.info({ notice }, describeNotice(notice, this.text));
  }
}

/** Sends every notice to each notifier; one failing fails the delivery (and it is retried). */
export class NotifierSet implements DeskNotifier {
  readonly #notifiers: DeskNotifier[];
  constructor(...notifiers: DeskNotifier[]) {
    this.#notifiers = notifiers;
  }
  add(notifier: DeskNotifier): void {
    this.#notifiers.push(notifier);
  }
  async notify(notice: DeskNotice): Promise<void> {
    for (const n of this.#notifiers) await n.notify(notice);
  }
}

export interface MailTransport {
  sendMail(mail: { from: string; to: string; subject: string; text: string }): Promise<unknown>;
}

/** Mails alerts to the address their rule names, and every other notice to `to` when set. */
export class EmailNotifier implements DeskNotifier {
  constructor(private readonly options: { transport: MailTransport; from: string; to?: string; text: AgentText }) {}
  async notify(notice: DeskNotice): Promise<void> {
    const to = notice.kind === 'alert' ? notice.email : this.options.to;
    if (!to) return;
    const text = describeNotice(notice, this.options.text);
    const subject = this.options.text.t('notice.email_subject', { subject: text.split(/[:.]/)[0] ?? text });
    await this.options.transport.sendMail({ from: this.options.from, to, subject, text });
  }
}
