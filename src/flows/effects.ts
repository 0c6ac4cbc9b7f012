import type { DomainEvent } from '../core/events.ts';
import { newId } from '../core/ids.ts';
import { foldForMatch } from '../core/text.ts';
import { raisePriority } from '../ai/classify.ts';
import { setKeyCustomerIn } from '../crm/key-customers.ts';
import { addressAttributes, proposeMatches } from '../crm/suggestions.ts';
import type { Dialect, Prisma as PrismaClient } from '../db/database.ts';
import { decodeRows, execute, join, jsonParam, queryRows, sql, type Sql } from '../db/sql.ts';
import type { Priority } from '../generated/sqlite/enums.ts';
import { handoffEvent, handoffPatch } from '../pipeline/handoff.ts';
import type { Turn } from '../pipeline/handler.ts';
import { type CustomerConversation, enqueueToCustomer } from '../pipeline/outbound.ts';
import type { Classification } from './intent.ts';
import type { Effect } from './interpreter.ts';
import type { SessionRun } from './session-store.ts';
import { surveyTarget } from './surveys.ts';
import { recordCampaignFlowStart } from '../campaigns/recipients.ts';

/** A flow start a campaign asked for: its recipient (gets the first message's id) and its template purpose. */
export interface CampaignStart {
  readonly recipientId: string;
  readonly purpose: string | undefined;
}

/** Effects kept in the database with the turn or job: the customer record, tickets, surveys. */
const isRecordEffect = (effect: Effect) => effect.type !== 'handoff' && effect.type !== 'timer' && effect.type !== 'start_flow';

/**
 * What flow runs decide, made real: replies queued in the outbox, hand-offs, and the
 * customer's record, tickets and surveys, all committed with the turn or job that ran them.
 * (Timers are kept by the session store; start_flow is followed by the engine.)
 */
export class FlowEffects {
  constructor(private readonly options: { readonly dialect: Dialect; readonly defaultRegion: string | undefined }) {}

  /**
   * In an inbound turn: replies and hand-offs through the turn (a hand-off's priority raised
   * by an urgent or upset message), record effects at the batch's commit.
   */
  async inTurn(turn: Turn, runs: readonly SessionRun[], classify: (text: string) => Promise<Classification>): Promise<void> {
    for (const { result } of runs) {
      for (const content of result?.messages ?? []) turn.reply(content);
      for (const effect of result?.effects ?? []) {
        if (effect.type === 'handoff') {
          turn.handOff({ team: effect.team, priority: await handoffPriority(turn, effect.priority, classify), note: effect.note, collected: effect.collected });
        }
      }
      const records = (result?.effects ?? []).filter(isRecordEffect);
      if (records.length > 0) {
        const customerId = turn.customer.id;
        const conversationId = turn.conversation.id;
        turn.onCommit((tx) => this.applyRecords(tx, customerId, conversationId, records, turn.now).then((events) => events.forEach((e) => turn.emit(e))));
      }
    }
  }

  /**
   * Outside a turn (timers, events, agents): in the job's transaction, replies queued to the
   * customer in order, hand-offs and record effects. Returns the events they cause and
   * whether a send was queued.
   */
  async inTransaction(
    tx: PrismaClient,
    conversation: CustomerConversation & { readonly customerId: string; readonly priority: Priority },
    runs: readonly SessionRun[],
    now: Date,
    campaign?: CampaignStart,
  ): Promise<{ events: DomainEvent[]; queued: boolean }> {
    const events: DomainEvent[] = [];
    let queued = false;
    let at = now.getTime();
    for (const { state, result } of runs) {
      // A win-back (the only flow the schedule starts) outside a channel's window goes as its winback template.
      const purpose = campaign ? campaign.purpose : state.startedBy === 'schedule' ? 'winback' : undefined;
      for (const content of result?.messages ?? []) {
        const messageId = await enqueueToCustomer(
          tx,
          this.options.dialect,
          conversation,
          purpose ? { ...content, purpose } : content,
          'bot',
          new Date(at++),
          now,
        );
        if (campaign && !queued) await recordCampaignFlowStart(tx, campaign.recipientId, messageId);
        queued = true;
      }
      for (const effect of result?.effects ?? []) {
        if (effect.type === 'handoff') {
          await tx.conversation.update({ where: { id: conversation.id }, data: await handoffPatch(tx, effect) });
          events.push(handoffEvent(conversation, effect));
        }
      }
      const records = (result?.effects ?? []).filter(isRecordEffect);
      if (records.length > 0) events.push(...(await this.applyRecords(tx, conversation.customerId, conversation.id, records, now)));
    }
    return { events, queued };
  }

  /** Customer, ticket and survey effects; returns the domain events they cause. */
  async applyRecords(tx: PrismaClient, customerId: string, conversationId: string, effects: readonly Effect[], now: Date): Promise<DomainEvent[]> {
    const events: DomainEvent[] = [];
    const dialect = this.options.dialect;
    // Raw statements: this runs on most turns of a flow (see src/db/sql.ts).
    const patch = customerPatch(effects);
    let keyChange: { isKey: boolean; reason: string } | undefined;
    for (const effect of effects) {
      switch (effect.type) {
        case 'key_customer':
          keyChange = effect;
          break;
        case 'ticket':
          await tx.ticket.create({
            data: {
              id: effect.id,
              ref: effect.ref,
              customerId,
              conversationId,
              kind: effect.kind,
              category: effect.category,
              priority: effect.priority,
              subject: effect.subject,
              fields: effect.fields,
            },
          });
          events.push({ type: 'ticket.created', ticketId: effect.id, customerId, conversationId });
          break;
        case 'survey':
          {
            const surveyId = newId();
            const rates = await surveyTarget(tx, conversationId);
            await tx.surveyResponse.create({
              data: { id: surveyId, customerId, conversationId, ...rates, kind: effect.kind, score: effect.score, comment: effect.comment, createdAt: now },
            });
            events.push({ type: 'survey.recorded', surveyId, customerId, conversationId, kind: effect.kind, score: effect.score });
          }
          break;
        default:
          break;
      }
    }
    if (patch) await updateCustomer(tx, dialect, customerId, patch, now);
    if (keyChange) await setKeyCustomerIn(tx, customerId, keyChange.isKey, keyChange.reason, 'flow');
    // An email or phone a flow collected that another record has: proposed to an agent as a merge.
    const collected = addressAttributes(Object.assign({}, ...effects.map((e) => (e.type === 'attributes' ? e.values : {}))));
    for (const a of collected) await proposeMatches(tx, this.options.dialect, customerId, a.kind, a.value, this.options.defaultRegion);
    return events;
  }
}

/** What a turn's effects change on the customer record, in order: attributes merged, the last name and locale, tags added and removed. */
interface CustomerPatch {
  readonly attributes?: Readonly<Record<string, unknown>>;
  readonly name?: string;
  readonly locale?: string;
  readonly tags: readonly Extract<Effect, { type: 'tags' }>[];
}

function customerPatch(effects: readonly Effect[]): CustomerPatch | undefined {
  let patch: { attributes?: Record<string, unknown>; name?: string; locale?: string; tags: Extract<Effect, { type: 'tags' }>[] } | undefined;
  for (const effect of effects) {
    if (effect.type !== 'attributes' && effect.type !== 'name' && effect.type !== 'locale' && effect.type !== 'tags') continue;
    patch ??= { tags: [] };
    if (effect.type === 'attributes') patch.attributes = { ...patch.attributes, ...effect.values };
    else if (effect.type === 'name') patch.name = effect.name;
    else if (effect.type === 'locale') patch.locale = effect.locale;
    else patch.tags.push(effect);
  }
  return patch;
}

/**
 * Applies a patch to a customer. On PostgreSQL, without tags, one UPDATE merges the attributes
 * in the database (`||` is the same shallow merge): no read first, one round trip fewer on
 * most flow turns (the welcome flow's name and language were 59% of its statements). Otherwise
 * the record is read, changed and written (a read costs microseconds on SQLite).
 */
async function updateCustomer(tx: PrismaClient, dialect: Dialect, customerId: string, patch: CustomerPatch, now: Date): Promise<void> {
  const { name, locale } = patch;
  const update = async (records: readonly Sql[]) => {
    const sets = [
      ...records,
      ...(name === undefined ? [] : [sql`"name" = ${name}`, sql`"searchName" = ${name ? foldForMatch(name) : null}`]),
      ...(locale === undefined ? [] : [sql`"locale" = ${locale}`]),
      sql`"updatedAt" = ${now}`,
    ];
    if ((await execute(tx, sql`UPDATE "Customer" SET ${join(sets, ', ')} WHERE "id" = ${customerId}`)) === 0)
      throw new Error(`customer ${customerId} not found`);
  };
  if (dialect === 'postgresql' && patch.tags.length === 0) {
    await update(patch.attributes ? [sql`"attributes" = "attributes" || ${jsonParam(dialect, patch.attributes)}`] : []);
    return;
  }
  const [customer] = decodeRows<{ attributes: unknown; tags: unknown }>(
    dialect,
    await queryRows(tx, sql`SELECT "attributes", "tags" FROM "Customer" WHERE "id" = ${customerId}`),
    { attributes: 'json', tags: 'json' },
  );
  if (!customer) throw new Error(`customer ${customerId} not found`);
  const attributes = { ...((customer.attributes ?? {}) as Record<string, unknown>), ...patch.attributes };
  let tags = [...((customer.tags ?? []) as string[])];
  for (const effect of patch.tags) tags = [...new Set([...tags, ...effect.add])].filter((t) => !effect.remove.includes(t));
  await update([sql`"attributes" = ${jsonParam(dialect, attributes)}`, sql`"tags" = ${jsonParam(dialect, tags)}`]);
}

/** An urgent or upset message raises the priority a flow hands off with (never lowers it). */
async function handoffPriority(
  turn: Turn,
  requested: Priority | undefined,
  classify: (text: string) => Promise<Classification>,
): Promise<Priority | undefined> {
  const text = turn.message.text;
  if (!text) return requested;
  const current = requested ?? turn.conversation.priority;
  const raised = raisePriority(current, await classify(text));
  return raised === current ? requested : raised;
}
