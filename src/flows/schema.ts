import { z } from 'zod';
import { parseDuration } from '../core/duration.ts';
import { INTENTS } from './intent.ts';

/**
 * The flow file format: one zod schema is both the validator and, exported as JSON Schema
 * (`parley flows schema`), what editors autocomplete against. Marketers write YAML; every
 * error names the file, line and column (see validate.ts).
 */

const Id = z.string().regex(/^[a-z][a-z0-9_-]*$/, 'use lowercase letters, digits, - and _, starting with a letter');
const VariableName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'use letters, digits and _, not starting with a digit');
const Duration = z.string().refine(
  (text) => {
    try {
      parseDuration(text);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a duration: use a number and a unit, e.g. 30s, 15m, 24h, 7d' },
);

/** A text per locale ({en: ..., fa: ..., ar: ...}), or one text for every locale. */
export const LocalizedText = z.union([z.string(), z.record(z.string().regex(/^[a-z]{2,3}$/, 'a language code such as en, fa, ar'), z.string())]);
export type LocalizedText = z.infer<typeof LocalizedText>;

/** Words per locale ({en: [...], fa: [...]}), or one list for all. */
const LocalizedWords = z.union([z.array(z.string().min(1)), z.record(z.string(), z.array(z.string().min(1)))]);

const Comparison = z
  .object({
    eq: z.union([z.string(), z.number(), z.boolean()]).optional(),
    ne: z.union([z.string(), z.number(), z.boolean()]).optional(),
    lt: z.number().optional(),
    lte: z.number().optional(),
    gt: z.number().optional(),
    gte: z.number().optional(),
    in: z.array(z.union([z.string(), z.number()])).optional(),
    exists: z.boolean().optional(),
  })
  .strict();

export const BusinessHours = z
  .object({
    timezone: z.string().refine(
      (tz) => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      },
      { message: 'not an IANA time zone such as Asia/Tehran or Asia/Dubai' },
    ),
    days: z.array(z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'])).min(1),
    from: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time such as 09:00'),
    to: z.string().regex(/^([01]\d|2[0-4]):[0-5]\d$/, 'a time such as 17:30'),
    holidays: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date such as 2026-03-21')).default([]),
  })
  .strict()
  .refine((h) => h.from < h.to, { message: 'the hours must end after they start (from before to)', path: ['to'] });
export type BusinessHours = z.infer<typeof BusinessHours>;

export type Condition =
  | ({ var: string } & z.infer<typeof Comparison>)
  | ({ attribute: string } & z.infer<typeof Comparison>)
  | { tag: string }
  | { channel: string | string[] }
  | { locale: string | string[] }
  | { new_customer: boolean }
  | { business_hours: BusinessHours }
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

export const Condition: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    Comparison.extend({ var: z.string().min(1) }).strict(),
    Comparison.extend({ attribute: z.string().min(1) }).strict(),
    z.object({ tag: z.string().min(1) }).strict(),
    z.object({ channel: z.union([z.string(), z.array(z.string())]) }).strict(),
    z.object({ locale: z.union([z.string(), z.array(z.string())]) }).strict(),
    z.object({ new_customer: z.boolean() }).strict(),
    z.object({ business_hours: BusinessHours }).strict(),
    z.object({ all: z.array(Condition).min(1) }).strict(),
    z.object({ any: z.array(Condition).min(1) }).strict(),
    z.object({ not: Condition }).strict(),
  ]),
);

const Choice = z
  .object({
    id: Id,
    label: LocalizedText,
    /** Extra words that pick this choice. */
    match: LocalizedWords.optional(),
    /**
     * The customer's intent that picks this choice when their words name no option ("my
     * package arrived broken" picks the complaint choice). Default: the intent named like the
     * choice's id, if there is one.
     */
    intent: z.enum(INTENTS).optional(),
  })
  .strict();

const AskType = z.enum(['text', 'name', 'choice', 'rating', 'nps', 'yes_no', 'number', 'email', 'phone', 'date']);
export type AskType = z.infer<typeof AskType>;

/** Where a step goes next: a step id, or `handoff` / `end`. */
const Target = z.string().min(1);

const Ask = z
  .object({
    type: AskType,
    text: LocalizedText,
    choices: z.array(Choice).min(2).max(30).optional(),
    /** Rating scale (default 1 to 5). */
    scale: z.object({ min: z.number().int(), max: z.number().int() }).strict().optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    /** Variable the answer is saved in (templates read it as {{name}}). */
    save: VariableName.optional(),
    /** Customer attribute the answer is also saved in (`name` sets the customer's name). */
    save_attribute: z.string().min(1).optional(),
    /** Said when the answer does not fit, before asking again. */
    error: LocalizedText.optional(),
    retries: z.number().int().min(0).max(10).optional(),
    /** Where to go when the retries run out (default: the flow's fallback). */
    fallback: Target.optional(),
    /** The customer may skip it ("skip", "ندارم", "لا يوجد", ...). */
    optional: z.boolean().optional(),
    /** Attachments count as an answer (a text ask only). */
    accept_attachments: z.boolean().optional(),
    reminder: LocalizedText.optional(),
    remind_after: Duration.optional(),
    /**
     * A name ask only: asked instead of the question when the customer's channel already gave a
     * name ({{name}}), as a yes/no confirmation. Default in en/fa/ar.
     */
    confirm: LocalizedText.optional(),
  })
  .strict();
export type Ask = z.infer<typeof Ask>;

const Priority = z.enum(['low', 'normal', 'high', 'urgent']);
const PriorityRule = z.union([Priority, z.object({ from: VariableName, map: z.record(z.string(), Priority), default: Priority }).strict()]);

const stepBase = { id: Id, next: Target.optional() };

export const StepSchemas = {
  say: z.object({ ...stepBase, say: LocalizedText }).strict(),
  ask: z.object({ ...stepBase, ask: Ask }).strict(),
  branch: z
    .object({
      ...stepBase,
      branch: z.object({ cases: z.array(z.object({ when: Condition, goto: Target }).strict()).min(1), else: Target.optional() }).strict(),
    })
    .strict(),
  set: z
    .object({
      ...stepBase,
      set: z
        .object({
          variables: z.record(VariableName, z.string()).optional(),
          attributes: z.record(z.string().min(1), z.string()).optional(),
          locale: z.string().optional(),
        })
        .strict(),
    })
    .strict(),
  tag: z.object({ ...stepBase, tag: z.array(z.string().min(1)).min(1) }).strict(),
  untag: z.object({ ...stepBase, untag: z.array(z.string().min(1)).min(1) }).strict(),
  key_customer: z
    .object({
      ...stepBase,
      key_customer: z
        .object({
          /** true marks the customer key, false unmarks. */
          key: z.boolean().default(true),
          /** Why (a template), recorded with the flag as "manual: flow <id>: <reason>". */
          reason: z.string().min(1).optional(),
        })
        .strict(),
    })
    .strict(),
  ticket: z
    .object({
      ...stepBase,
      ticket: z
        .object({
          kind: z.enum(['complaint', 'request', 'question']),
          subject: LocalizedText,
          category: z.string().optional(),
          priority: PriorityRule.optional(),
          fields: z.record(z.string(), z.string()).default({}),
          /** Variable that receives the ticket's reference (default ticket_ref). */
          save: VariableName.default('ticket_ref'),
        })
        .strict(),
    })
    .strict(),
  survey: z
    .object({
      ...stepBase,
      survey: z.object({ kind: z.enum(['csat', 'nps']), score: VariableName, comment: VariableName.optional() }).strict(),
    })
    .strict(),
  handoff: z
    .object({
      ...stepBase,
      handoff: z
        .object({
          team: z.string().min(1).optional(),
          priority: PriorityRule.optional(),
          note: z.string().optional(),
          say: LocalizedText.optional(),
        })
        .strict(),
    })
    .strict(),
  goto: z.object({ ...stepBase, goto: Target }).strict(),
  wait: z.object({ ...stepBase, wait: Duration }).strict(),
  webhook: z
    .object({
      ...stepBase,
      webhook: z
        .object({
          url: z.string().min(1),
          method: z.enum(['GET', 'POST', 'PUT', 'PATCH']).default('POST'),
          headers: z.record(z.string(), z.string()).default({}),
          body: z.record(z.string(), z.string()).optional(),
          timeout: Duration.default('5s'),
          /** Variables filled from the JSON response: {variable: "path.in.response"}. */
          save: z.record(VariableName, z.string()).default({}),
          on_error: Target.optional(),
        })
        .strict(),
    })
    .strict(),
  classify: z
    .object({
      ...stepBase,
      classify: z
        .object({
          /** Text to classify (a template); default the customer's last message. */
          input: z.string().optional(),
          save: VariableName.default('intent'),
          routes: z.record(z.string(), Target).default({}),
          else: Target.optional(),
        })
        .strict(),
    })
    .strict(),
  start_flow: z.object({ ...stepBase, start_flow: Id }).strict(),
  end: z.object({ ...stepBase, end: z.union([z.literal(true), z.object({ say: LocalizedText.optional() }).strict()]) }).strict(),
} as const;

export type StepType = keyof typeof StepSchemas;
export const STEP_TYPES = Object.keys(StepSchemas) as StepType[];
export type Step = { [K in StepType]: z.infer<(typeof StepSchemas)[K]> & { type: K } }[StepType];
export type StepOf<K extends StepType> = Extract<Step, { type: K }>;

const Trigger = z.union([
  /** The first message of a new conversation (no other trigger matched). */
  z.object({ first_message: z.literal(true) }).strict(),
  z.object({ keyword: LocalizedWords }).strict(),
  z
    .object({
      pattern: z.string().refine(
        (p) => {
          try {
            new RegExp(p, 'iu');
            return true;
          } catch {
            return false;
          }
        },
        { message: 'not a valid regular expression' },
      ),
    })
    .strict(),
  z.object({ intent: z.string().min(1) }).strict(),
  z.object({ event: z.enum(['conversation.resolved', 'ticket.closed']), delay: Duration.optional() }).strict(),
  /** Customers with no message for this long (win-back). */
  z.object({ inactive: Duration }).strict(),
  /** Any message in a bot conversation when nothing else matched (the main menu). */
  z.object({ default: z.literal(true) }).strict(),
]);
export type Trigger = z.infer<typeof Trigger>;

export const FlowSettings = z
  .object({
    retries: z.number().int().min(0).max(10).default(2),
    /** Where an ask goes when its retries run out: a step id, `handoff` or `end`. */
    fallback: Target.default('handoff'),
    remind_after: Duration.default('1h'),
    /** After the reminder, how long until the flow gives up. */
    give_up_after: Duration.default('23h'),
    on_timeout: z.enum(['end', 'handoff']).default('end'),
    /** Team of hand-offs that name none (fallbacks, timeouts). */
    team: z.string().optional(),
    /** Said by default when an answer does not fit. */
    error: LocalizedText.optional(),
    reminder: LocalizedText.optional(),
    /** Said when the flow hands over without words of its own (fallbacks, timeouts); a default in en/fa/ar otherwise. */
    handoff_say: LocalizedText.optional(),
    /** Said when an ask's retries run out and the flow ends there (fallback `end`); a default in en/fa/ar otherwise. */
    give_up_say: LocalizedText.optional(),
  })
  .strict();

/** Everything a flow file may contain, with steps as the union the editor sees. */
export const FlowFileSchema = z
  .object({
    $schema: z.string().optional(),
    id: Id,
    name: z.string().min(1),
    description: z.string().optional(),
    locales: z.array(z.string().regex(/^[a-z]{2,3}$/)).min(1),
    triggers: z.array(Trigger).default([]),
    settings: FlowSettings.default(FlowSettings.parse({})),
    steps: z.array(z.union(Object.values(StepSchemas) as unknown as [z.ZodTypeAny, ...z.ZodTypeAny[]])).min(1),
  })
  .strict();

export interface Flow {
  readonly id: string;
  readonly name: string;
  readonly description?: string;
  readonly locales: string[];
  readonly triggers: Trigger[];
  readonly settings: z.infer<typeof FlowSettings>;
  readonly steps: Step[];
  /** Content hash of the file: sessions stay on the version they started on. */
  readonly version: string;
}

export function flowJsonSchema(): unknown {
  return z.toJSONSchema(FlowFileSchema, { io: 'input', unrepresentable: 'any' });
}
