import { z } from 'zod';
import { parseDuration } from '../core/duration.ts';
import { LocalizedText } from '../flows/schema.ts';
import { QuietHoursSchema, ScheduleSchema } from './schedule.ts';

const duration = z.string().refine((text) => {
  try {
    return parseDuration(text) > 0;
  } catch {
    return false;
  }
}, 'a duration such as 24h, 3d, 2w');

/** What a variant sends: a flow started in the customer's conversation, or one message (en/fa/ar texts). */
export const VariantSchema = z
  .object({
    name: z.string().trim().min(1).max(40),
    /** Share of the recipients, relative to the other variants' weights. */
    weight: z.number().int().min(1).max(1000).default(1),
    flow: z.string().min(1).optional(),
    text: LocalizedText.optional(),
  })
  .strict()
  .refine((v) => (v.flow === undefined) !== (v.text === undefined), 'give either flow or text');

/** The contact kinds a campaign can count as (a subset of the contact policy's kinds). */
export const CampaignKindSchema = z.enum(['campaign', 'winback']);
export type CampaignKind = z.output<typeof CampaignKindSchema>;

/** What counts as success, within `within` of the send. */
export const GoalSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('replied'), within: duration }).strict(),
  z.object({ type: z.literal('completed'), within: duration }).strict(),
  z.object({ type: z.literal('tagged'), tag: z.string().min(1), within: duration }).strict(),
  z.object({ type: z.literal('ticket'), within: duration }).strict(),
]);
export type Goal = z.output<typeof GoalSchema>;

/** What `parley campaigns add` and POST /api/v1/campaigns take (YAML or JSON). */
export const CampaignInputSchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    segment: z.string().min(1).describe('segment name or id'),
    /** A single variant's flow or text, or `variants` for an A/B test. */
    flow: z.string().min(1).optional(),
    text: LocalizedText.optional(),
    variants: z.array(VariantSchema).min(1).max(10).optional(),
    /** "preferred": the channel the customer last wrote on; else that channel only. */
    channel: z.string().min(1).default('preferred'),
    schedule: ScheduleSchema.default({}),
    /** Overrides PARLEY_CAMPAIGN_QUIET_HOURS; { from: "00:00", to: "00:00" } for none. */
    quietHours: QuietHoursSchema.optional(),
    goal: GoalSchema.optional(),
    /**
     * The contact kind its messages count as (src/contact/policy-config.ts): "winback" takes part
     * in the win-back rules, once per customer and flow whichever path starts it, and the winback cap.
     */
    kind: CampaignKindSchema.default('campaign'),
    /** The WhatsApp template purpose (PARLEY_TEMPLATES_FILE) its messages go as outside the 24-hour window. */
    purpose: z
      .string()
      .regex(/^[a-z0-9_-]+$/, 'a purpose is a word such as campaign, welcome, winback')
      .default('campaign'),
  })
  .strict()
  .superRefine((c, ctx) => {
    const single = c.flow !== undefined || c.text !== undefined;
    if (single === (c.variants !== undefined)) ctx.addIssue({ code: 'custom', message: 'give flow or text (one message), or variants (an A/B test)' });
    if (c.flow !== undefined && c.text !== undefined) ctx.addIssue({ code: 'custom', path: ['text'], message: 'give either flow or text' });
    const names = (c.variants ?? []).map((v) => v.name);
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i) ctx.addIssue({ code: 'custom', path: ['variants', i, 'name'], message: `variant "${n}" is named twice` });
    });
    if (c.kind === 'winback' && [c.text, ...(c.variants ?? []).map((v) => v.text)].some((t) => t !== undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['kind'],
        message: 'a winback campaign starts a flow in each variant (the once-per-customer rule is kept per win-back flow): give flow, not text',
      });
    if (c.goal?.type === 'completed' && [c.flow, ...(c.variants ?? []).map((v) => v.flow)].every((f) => f === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['goal'], message: 'a completed goal needs a flow to complete' });
    }
  });
export type CampaignInput = z.input<typeof CampaignInputSchema>;

/** What the Campaign row's `spec` column holds (read back through this schema). */
export const CampaignSpecSchema = z.object({
  channel: z.string(),
  schedule: ScheduleSchema,
  quietHours: QuietHoursSchema.optional(),
  goal: GoalSchema.optional(),
  purpose: z.string().default('campaign'),
  kind: CampaignKindSchema.default('campaign'),
});
export type CampaignSpec = z.output<typeof CampaignSpecSchema>;
