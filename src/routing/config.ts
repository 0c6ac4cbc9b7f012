import { KeyRuleSchema } from '../crm/key-rules.ts';
import { z } from 'zod';
import { SlackMentionSchema } from './slack-mention.ts';
import { parseDuration } from '../core/duration.ts';
import { checkTimeZone, parseDayRanges, WEEKDAYS } from './business-hours.ts';

/** The routing configuration file (PARLEY_ROUTING_CONFIG): teams, agents, SLAs, tickets, lifecycle. */
export const Duration = z.string().transform((text, ctx) => {
  try {
    return parseDuration(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});
const PrioritySchema = z.enum(['low', 'normal', 'high', 'urgent']);
export type Priority = z.output<typeof PrioritySchema>;
export const PRIORITIES: readonly Priority[] = ['low', 'normal', 'high', 'urgent'];
/** Texts by language ("en", "fa", "ar", ...). */
const Localized = z.record(z.string(), z.string());
export type LocalizedText = z.output<typeof Localized>;

const DayRanges = z.string().superRefine((text, ctx) => {
  try {
    parseDayRanges(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});
const HoursSchema = z
  .object({
    time_zone: z.string().superRefine((tz, ctx) => {
      try {
        checkTimeZone(tz);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    }),
    weekly: z
      .strictObject(Object.fromEntries(WEEKDAYS.map((d) => [d, DayRanges.optional()])) as Record<(typeof WEEKDAYS)[number], z.ZodOptional<typeof DayRanges>>)
      .optional(),
    holidays: z
      .array(z.union([z.string(), z.date()]).transform((d) => (typeof d === 'string' ? d : d.toISOString().slice(0, 10))))
      .default([])
      .pipe(z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a holiday is a date written YYYY-MM-DD'))),
  })
  .strict()
  .transform((h) => ({ timeZone: h.time_zone, weekly: h.weekly, holidays: h.holidays }));

const TeamSchema = z
  .object({
    strategy: z.enum(['round_robin', 'least_loaded', 'manual']).default('round_robin'),
    hours: HoursSchema.optional(),
    /** At an SLA breach: who is mentioned in the desk notice, and/or the team that takes it over. */
    escalation: z.object({ mention: SlackMentionSchema.optional(), transfer_to: z.string().optional() }).strict().default({}),
  })
  .strict();

const AgentSchema = z
  .object({
    name: z.string().min(1),
    email: z.email().optional(),
    slack: z.string().optional(),
    teams: z.array(z.string()).min(1, 'an agent belongs to at least one team'),
    capacity: z.number().int().positive().default(5),
  })
  .strict();

const SlaTarget = z.object({ first_response: Duration.optional(), resolution: Duration.optional() }).strict();

export const RoutingConfigSchema = z
  .object({
    teams: z.record(z.string(), TeamSchema).default({}),
    agents: z.array(AgentSchema).default([]),
    sla: z
      .object({
        warn_before: Duration.default(parseDuration('10m')),
        low: SlaTarget.optional(),
        normal: SlaTarget.optional(),
        high: SlaTarget.optional(),
        urgent: SlaTarget.optional(),
      })
      .strict()
      .default({ warn_before: parseDuration('10m') }),
    priority: z
      .object({
        key_customer: PrioritySchema.default('high'),
        complaint_categories: z.record(z.string(), PrioritySchema).default({}),
      })
      .strict()
      .default({ key_customer: 'high', complaint_categories: {} }),
    tickets: z
      .object({
        /** Statuses the customer is told about on their channel. */
        notify_customer: z
          .array(z.enum(['open', 'in_progress', 'waiting_for_customer', 'resolved', 'closed']))
          .default(['in_progress', 'waiting_for_customer', 'resolved', 'closed']),
        /** When set, the only root causes a complaint may be closed with. */
        root_causes: z.array(z.string()).optional(),
        /** Overrides of the status texts; {{ref}} and {{subject}} are filled in. */
        messages: z.record(z.string(), Localized).default({}),
      })
      .strict()
      .default({ notify_customer: ['in_progress', 'waiting_for_customer', 'resolved', 'closed'], messages: {} }),
    /** Rules that make customers key, recomputed daily (src/crm/key-rules.ts); none: only by hand. */
    key_customers: z
      .object({ rules: z.array(KeyRuleSchema).default([]) })
      .strict()
      .default({ rules: [] }),
    lifecycle: z
      .object({
        new_for: Duration.default(parseDuration('30d')),
        at_risk_after: Duration.default(parseDuration('45d')),
        churned_after: Duration.default(parseDuration('90d')),
        complaints: z
          .object({ count: z.number().int().positive(), within: Duration })
          .strict()
          .default({ count: 3, within: parseDuration('30d') }),
        low_csat: z.number().int().min(1).max(5).default(2),
        low_nps: z.number().int().min(0).max(10).default(6),
        winback_flow: z.string().optional(),
        contact_cap: z
          .never({
            error:
              'lifecycle.contact_cap moved to the contact policy: set PARLEY_WINBACK_CONTACT_CAP (and PARLEY_CONTACT_CAP), see "Never too often" in the README',
          })
          .optional(),
      })
      .strict()
      .default({
        new_for: parseDuration('30d'),
        at_risk_after: parseDuration('45d'),
        churned_after: parseDuration('90d'),
        complaints: { count: 3, within: parseDuration('30d') },
        low_csat: 2,
        low_nps: 6,
      }),
    messages: z.object({ out_of_hours: Localized.optional() }).strict().default({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    config.agents.forEach((agent, index) =>
      agent.teams.forEach((team, t) => {
        if (!config.teams[team]) ctx.addIssue({ code: 'custom', path: ['agents', index, 'teams', t], message: `team "${team}" is not defined under teams` });
      }),
    );
    for (const [name, team] of Object.entries(config.teams)) {
      const target = team.escalation.transfer_to;
      if (target && !config.teams[target])
        ctx.addIssue({ code: 'custom', path: ['teams', name, 'escalation', 'transfer_to'], message: `team "${target}" is not defined under teams` });
    }
  });
export type RoutingConfig = z.output<typeof RoutingConfigSchema>;
export type TeamConfig = z.output<typeof TeamSchema>;

export const defaultRoutingConfig = (): RoutingConfig => RoutingConfigSchema.parse({});
