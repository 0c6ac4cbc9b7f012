import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import { type ChannelCapabilities, type Rate, serviceWindowOpen } from '../core/channel.ts';
import { newId, newRef } from '../core/ids.ts';
import { checkContacts, type ContactDecision, type ContactPolicy, type ContactRecord, recordContacts, type SkipReason } from '../contact/policy.ts';
import { outreachBudget } from '../contact/outreach-pace.ts';
import type { TemplateRegistry } from '../contact/templates.ts';
import { templateValues } from '../contact/window-template.ts';
import { bulkInsert } from '../db/bulk-insert.ts';
import { RECIPIENT_COLUMNS } from '../db/columns.ts';
import type { Database } from '../db/database.ts';
import { START_JOB } from '../flows/triggers.ts';
import { reachedByWinback, winbackKey } from '../flows/winback.ts';
import { lastInboundAt } from '../pipeline/consent.ts';
import { conversationLaneKey } from '../pipeline/inbox.ts';
import { say } from '../flows/text.ts';
import type { CampaignRecipient } from '../generated/sqlite/client.ts';
import { type JobContext, type JobDraft, type JobRunner, scheduleJobs } from '../pipeline/jobs.ts';
import { buildOutbound, insertOutbound } from '../pipeline/outbound.ts';
import { type CampaignView, campaignJob, getCampaign, SEND_JOB, TARGET_JOB, type VariantView } from './campaigns.ts';
import { customerTimeZone, dueAt, type QuietHours, quietUntil, runDate, runStartsAt, todayIn } from './schedule.ts';
import { getSegment, segmentPages } from './segments.ts';

export interface CampaignRunnerOptions {
  readonly db: Database;
  readonly jobs: JobRunner;
  readonly logger: Logger;
  /** Every campaign message is judged and recorded by the contact policy (kind "campaign", or "winback" for a winback campaign). */
  readonly contactPolicy: ContactPolicy;
  /** A channel's provider send rate (PARLEY_RATE_LIMITS or the adapter's published limit); undefined: none. */
  readonly rateOf: (channel: string) => Rate | undefined;
  /** A channel's capabilities: whether it has a customer-service window (WhatsApp's 24 hours). */
  readonly capabilitiesOf: (channel: string) => Pick<ChannelCapabilities, 'serviceWindowMs'> | undefined;
  /**
   * PARLEY_TEMPLATES_FILE: outside a channel's service window a recipient without a valid
   * template for the campaign's purpose is skipped. Undefined: no check (the channel's own
   * default template, e.g. WHATSAPP_TEMPLATE_NAME, may still carry the message).
   */
  readonly templates: TemplateRegistry | undefined;
  /** PARLEY_CAMPAIGN_RATE_SHARE: the percentage of a channel's rate campaigns together may queue. */
  readonly ratePercent: number;
  /** PARLEY_CAMPAIGN_TIMEZONE: customers with no known zone. */
  readonly defaultTimeZone: string;
  /** PARLEY_CAMPAIGN_QUIET_HOURS. */
  readonly quietHours: QuietHours | undefined;
  readonly defaultLocale: string;
  /** Sends were queued: the dispatcher looks now. */
  readonly onOutboundQueued: () => void;
}

/** Customers targeted per transaction. */
const TARGET_PAGE = 500;

/** A stable split: the same customer always lands in the same variant of a campaign. */
export function pickVariant(variants: readonly VariantView[], campaignId: string, customerId: string): VariantView {
  const total = variants.reduce((sum, v) => sum + v.weight, 0);
  let point = createHash('sha256').update(`${campaignId}:${customerId}`).digest().readUInt32BE(0) % total;
  for (const v of variants) {
    if (point < v.weight) return v;
    point -= v.weight;
  }
  return variants[variants.length - 1] as VariantView;
}

interface Identity {
  readonly id: string;
  readonly channel: string;
  readonly address: string;
  readonly createdAt: Date;
}

/** "preferred": the identity of the customer's latest conversation, else their newest identity; otherwise the newest on that channel. */
function pickIdentity(identities: readonly Identity[], lastIdentityId: string | undefined, channel: string): Identity | undefined {
  const newest = [...identities].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  if (channel === 'preferred') return identities.find((i) => i.id === lastIdentityId) ?? newest[0];
  return newest.find((i) => i.channel === channel);
}

const TargetJobSchema = z.object({ campaignId: z.string(), run: z.number().int().positive() });
const SendJobSchema = z.object({ campaignId: z.string() });

/**
 * Runs campaigns as durable jobs on the campaign's own lane: a target job per run writes every
 * customer of the segment as a recipient due at their local send time; send jobs then queue
 * the due ones through the outbox (or the flow engine's start job) within the campaigns' share
 * of each channel's rate, past quiet hours and the contact policy, and schedule themselves
 * again. A restart picks up where the last committed round ended.
 */
export class CampaignRunner {
  constructor(private readonly options: CampaignRunnerOptions) {}

  register(): void {
    const { jobs } = this.options;
    jobs.register(TARGET_JOB, TargetJobSchema, (job, ctx) => this.#target(job.payload.campaignId, job.payload.run, ctx));
    jobs.register(SEND_JOB, SendJobSchema, (job, ctx) => this.#send(job.payload.campaignId, ctx));
  }

  /** The date run `run` (1-based) falls on for a customer in `zone`, or undefined past the schedule. */
  #runDate(campaign: CampaignView, run: number, zone: string): string | undefined {
    const { schedule } = campaign.spec;
    return runDate(schedule, schedule.date ?? todayIn(campaign.startedAt ?? campaign.createdAt, zone), run - 1);
  }

  async #target(campaignId: string, run: number, ctx: JobContext): Promise<void> {
    const { db } = this.options;
    const campaign = await getCampaign(db, campaignId);
    if (campaign.status !== 'running' && campaign.status !== 'paused') return;
    const segment = await getSegment(db, campaign.segmentId);
    const now = ctx.now;
    const quiet = campaign.spec.quietHours ?? this.options.quietHours;
    let targeted = 0;
    for await (const ids of segmentPages(db, segment.filter, now, TARGET_PAGE)) {
      const customers = await db.prisma.customer.findMany({
        where: { id: { in: ids } },
        select: {
          id: true,
          attributes: true,
          identities: { select: { id: true, channel: true, address: true, createdAt: true } },
          conversations: { orderBy: { lastMessageAt: 'desc' }, take: 1, select: { id: true, identityId: true } },
        },
      });
      const rows = customers.map((c) => {
        const identity = pickIdentity(c.identities, c.conversations[0]?.identityId, campaign.spec.channel);
        const phones = c.identities.filter((i) => i.address.startsWith('+')).map((i) => i.address);
        const zone = customerTimeZone((c.attributes ?? {}) as Record<string, unknown>, phones, this.options.defaultTimeZone);
        const date = this.#runDate(campaign, run, zone);
        return {
          id: newId(),
          campaignId,
          variantId: pickVariant(campaign.variants, campaignId, c.id).id,
          run,
          customerId: c.id,
          channel: identity?.channel ?? null,
          address: identity?.address ?? null,
          timeZone: zone,
          dueAt: date ? dueAt(date, campaign.spec.schedule, zone, quiet, now) : now,
          status: identity && date ? ('scheduled' as const) : ('skipped' as const),
          skipReason: !identity ? 'no_channel' : date ? null : 'schedule_ended',
          conversationId: null,
          createdAt: now,
        };
      });
      // A re-run (after a crash) skips the customers it wrote before.
      await db.write((tx) =>
        bulkInsert(tx, db.dialect, 'CampaignRecipient', RECIPIENT_COLUMNS, rows, { skipConflictsOn: ['campaignId', 'run', 'customerId'] }),
      );
      targeted += rows.length;
    }
    const nextRun = this.#nextRunAt(campaign, run + 1);
    await ctx.write(async (tx) => {
      await tx.campaign.update({ where: { id: campaignId }, data: { run } });
      const drafts = [campaignJob(SEND_JOB, campaignId, now, {})];
      if (nextRun) drafts.push(campaignJob(TARGET_JOB, campaignId, nextRun, { run: run + 1 }, `${TARGET_JOB}:${campaignId}:${run + 1}`));
      await scheduleJobs(tx, db.dialect, drafts, now);
    });
    ctx.logger.info({ campaign: campaign.name, run, targeted }, 'campaign run targeted');
  }

  /** When run `run` is targeted: as its date starts anywhere on Earth (UTC+14); undefined when the schedule has ended. */
  #nextRunAt(campaign: CampaignView, run: number): Date | undefined {
    // The zone a day starts in last (UTC-12) gives the earliest date any customer is on.
    const date = this.#runDate(campaign, run, 'Etc/GMT+12');
    return date ? runStartsAt(date, campaign.spec.schedule.time) : undefined;
  }

  async #send(campaignId: string, ctx: JobContext): Promise<void> {
    const { db } = this.options;
    const campaign = await getCampaign(db, campaignId);
    if (campaign.status !== 'running') return;
    const now = ctx.now;
    const quiet = campaign.spec.quietHours ?? this.options.quietHours;
    const dueChannels = await db.prisma.campaignRecipient.groupBy({
      by: ['channel'],
      where: { campaignId, status: 'scheduled', dueAt: { lte: now } },
    });
    let nextAt: Date | undefined;
    const later = (at: Date) => {
      if (!nextAt || at < nextAt) nextAt = at;
    };
    let queued = 0;
    for (const { channel } of dueChannels) {
      if (!channel) continue;
      const { allowed, freeAt } = await this.#room(channel, now);
      if (allowed === 0) {
        later(freeAt);
        continue;
      }
      const due = await db.prisma.campaignRecipient.findMany({
        where: { campaignId, status: 'scheduled', dueAt: { lte: now }, channel },
        orderBy: [{ dueAt: 'asc' }, { id: 'asc' }],
        take: allowed,
      });
      queued += await this.#queue(campaign, due, quiet, now);
      if (due.length === allowed) later(freeAt);
    }
    // Those due now wait for room in their channel (above); the next not yet due, for its time.
    const waiting = await db.prisma.campaignRecipient.findFirst({
      where: { campaignId, status: 'scheduled', dueAt: { gt: now } },
      orderBy: { dueAt: 'asc' },
      select: { dueAt: true },
    });
    if (waiting) later(waiting.dueAt);
    const finished = !nextAt && !this.#nextRunAt(campaign, campaign.run + 1);
    await ctx.write(async (tx) => {
      if (nextAt) await scheduleJobs(tx, db.dialect, [campaignJob(SEND_JOB, campaignId, nextAt, {}, `${SEND_JOB}:${campaignId}:${nextAt.getTime()}`)], now);
      if (finished) await tx.campaign.updateMany({ where: { id: campaignId, status: 'running' }, data: { status: 'completed', endedAt: now } });
    });
    if (queued > 0) this.options.onOutboundQueued();
  }

  /** How many more sends campaigns may queue on a channel now, and when the window frees one. */
  async #room(channel: string, now: Date): Promise<{ allowed: number; freeAt: Date }> {
    const { perWindow, windowMs } = outreachBudget(this.options.rateOf(channel), this.options.ratePercent);
    const since = new Date(now.getTime() - windowMs);
    const recent = await this.options.db.prisma.campaignRecipient.findMany({
      where: { channel, status: 'queued', queuedAt: { gt: since } },
      orderBy: { queuedAt: 'asc' },
      take: perWindow,
      select: { queuedAt: true },
    });
    const oldest = recent[0]?.queuedAt;
    return { allowed: perWindow - recent.length, freeAt: new Date((oldest ?? now).getTime() + windowMs) };
  }

  /** Queues these due recipients: past quiet hours and the contact policy; returns how many were queued. */
  async #queue(campaign: CampaignView, due: readonly CampaignRecipient[], quiet: QuietHours | undefined, now: Date): Promise<number> {
    const { db, contactPolicy } = this.options;
    const { kind } = campaign.spec;
    const variants = new Map(campaign.variants.map((v) => [v.id, v]));
    const quietEnds = new Map(due.map((r) => [r.id, quietUntil(now, r.timeZone, quiet)]));
    const awake = due.filter((r) => !quietEnds.get(r.id));
    const wonBack = kind === 'winback' ? await this.#reachedByWinback(awake, variants) : new Set<string>();
    const decisions: ContactDecision[] = await checkContacts(
      db,
      awake.map((r) => ({ customerId: r.customerId, channel: r.channel as string, kind, campaignId: campaign.id })),
      now,
      contactPolicy,
    );
    awake.forEach((r, i) => {
      if (wonBack.has(r.id)) decisions[i] = { allowed: false, reason: 'already_won_back' };
    });
    const go = awake.filter((_, i) => decisions[i]?.allowed);
    const customers = new Map(
      (
        await db.prisma.customer.findMany({
          where: { id: { in: go.map((r) => r.customerId) } },
          select: {
            id: true,
            name: true,
            locale: true,
            attributes: true,
            identities: {
              select: { id: true, channel: true, address: true, conversations: { orderBy: { lastMessageAt: 'desc' }, take: 1, select: { id: true } } },
            },
          },
        })
      ).map((c) => [c.id, c]),
    );
    // One statement per table for the whole round: conversations, messages and outbox rows.
    const newConversations: {
      id: string;
      customerId: string;
      identityId: string;
      channel: string;
      status: 'bot';
      ref: string;
      createdAt: Date;
      lastMessageAt: Date;
    }[] = [];
    const outbound: ReturnType<typeof buildOutbound>[] = [];
    const flowStarts: JobDraft[] = [];
    const queuedRows: { id: string; conversationId: string; messageId: string | null }[] = [];
    const contacts: ContactRecord[] = [];
    const unreachable: string[] = [];
    const withoutTemplate: { id: string; reason: SkipReason }[] = [];
    let at = now.getTime();
    for (const r of go) {
      const customer = customers.get(r.customerId);
      const identity = customer?.identities.find((i) => i.channel === r.channel && i.address === r.address);
      const variant = variants.get(r.variantId);
      if (!customer || !identity || !variant) {
        unreachable.push(r.id);
        continue;
      }
      const locale = customer.locale ?? this.options.defaultLocale;
      const text =
        variant.texts !== null
          ? say(variant.texts, locale, { customer: { name: customer.name ?? '', ...((customer.attributes ?? {}) as object) } })
          : undefined;
      const noTemplate = await this.#templateSkip(campaign, identity, customer, locale, text, now);
      if (noTemplate) {
        withoutTemplate.push({ id: r.id, reason: noTemplate });
        continue;
      }
      let conversationId = identity.conversations[0]?.id;
      if (!conversationId) {
        conversationId = newId();
        newConversations.push({
          id: conversationId,
          customerId: customer.id,
          identityId: identity.id,
          channel: identity.channel,
          status: 'bot',
          ref: newRef(),
          createdAt: now,
          lastMessageAt: now,
        });
      }
      let messageId: string | null = null;
      if (text !== undefined) {
        const rows = buildOutbound(
          { conversationId, channel: identity.channel, recipient: identity.address, content: { text, purpose: campaign.spec.purpose }, authorKind: 'bot' },
          new Date(at++),
          now,
        );
        outbound.push(rows);
        messageId = rows.message.id;
      } else {
        flowStarts.push({
          kind: START_JOB,
          laneKey: conversationLaneKey({ channel: identity.channel, identity }),
          payload: { flowId: variant.flowId, conversationId, by: `campaign:${campaign.id}`, campaignRecipientId: r.id, purpose: campaign.spec.purpose },
          runAt: now,
          // A win-back start shares the once-per-customer key of the other win-back paths.
          dedupKey: kind === 'winback' ? winbackKey(variant.flowId as string, r.customerId) : undefined,
        });
      }
      queuedRows.push({ id: r.id, conversationId, messageId });
      contacts.push({ customerId: r.customerId, channel: identity.channel, kind, campaignId: campaign.id, messageId: messageId ?? undefined });
    }
    await db.write(async (tx) => {
      for (const r of due) {
        const until = quietEnds.get(r.id);
        if (until) await tx.campaignRecipient.update({ where: { id: r.id }, data: { dueAt: until } });
      }
      for (const [i, r] of awake.entries()) {
        const decision = decisions[i];
        if (decision && !decision.allowed) await tx.campaignRecipient.update({ where: { id: r.id }, data: { status: 'skipped', skipReason: decision.reason } });
      }
      if (unreachable.length > 0)
        await tx.campaignRecipient.updateMany({ where: { id: { in: unreachable } }, data: { status: 'skipped', skipReason: 'no_channel' } });
      for (const skip of withoutTemplate) await tx.campaignRecipient.update({ where: { id: skip.id }, data: { status: 'skipped', skipReason: skip.reason } });
      if (newConversations.length > 0) await tx.conversation.createMany({ data: newConversations });
      await insertOutbound(tx, db.dialect, outbound);
      await scheduleJobs(tx, db.dialect, flowStarts, now);
      for (const q of queuedRows) {
        await tx.campaignRecipient.update({
          where: { id: q.id },
          data: { status: 'queued', queuedAt: now, conversationId: q.conversationId, messageId: q.messageId },
        });
      }
      await recordContacts(tx, contacts, now);
    });
    return queuedRows.length;
  }

  /** The recipients (by id) whose variant's win-back flow has reached their customer already, by any path. */
  async #reachedByWinback(recipients: readonly CampaignRecipient[], variants: ReadonlyMap<string, VariantView>): Promise<Set<string>> {
    const reached = new Set<string>();
    const byFlow = new Map<string, CampaignRecipient[]>();
    for (const r of recipients) {
      const flowId = variants.get(r.variantId)?.flowId;
      if (!flowId) continue;
      const group = byFlow.get(flowId);
      if (group) group.push(r);
      else byFlow.set(flowId, [r]);
    }
    for (const [flowId, of] of byFlow) {
      const customers = await reachedByWinback(
        this.options.db.prisma,
        flowId,
        of.map((r) => r.customerId),
      );
      for (const r of of) if (customers.has(r.customerId)) reached.add(r.id);
    }
    return reached;
  }

  /**
   * template_missing / template_invalid when the channel's service window is closed for this
   * address and the templates file has no sendable template for the campaign's purpose in the
   * customer's language; undefined when the message can go.
   */
  async #templateSkip(
    campaign: CampaignView,
    identity: { readonly channel: string; readonly address: string },
    customer: { readonly name: string | null; readonly attributes: unknown },
    locale: string,
    text: string | undefined,
    now: Date,
  ): Promise<SkipReason | undefined> {
    const { db, templates } = this.options;
    const capabilities = this.options.capabilitiesOf(identity.channel);
    if (!templates || capabilities?.serviceWindowMs === undefined) return undefined;
    if (serviceWindowOpen(capabilities, await lastInboundAt(db, identity.channel, identity.address), now)) return undefined;
    const found = templates.resolve(campaign.spec.purpose, locale, templateValues(customer, { text }));
    if (found.ok) return undefined;
    // A flow's messages are not written yet: only that a template exists can be checked now.
    if (text === undefined && found.reason === 'template_invalid') return undefined;
    this.options.logger.info({ campaign: campaign.name, channel: identity.channel, detail: found.detail }, 'campaign recipient skipped: no sendable template');
    return found.reason;
  }
}
