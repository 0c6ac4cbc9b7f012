import type { Database } from '../../src/db/database.ts';
import { deliveryKey, type DeliveryLedger } from './fake-provider.ts';
import type { WebhookOutcome } from './load.ts';
import { phoneOf, TAG_PATTERN } from './webhooks.ts';

const CHANNELS = ['whatsapp', 'sms'];

/** What one scenario ended with; the targets are in `violationsOf`. */
export interface Tally {
  /** Good (storable) messages sent, and how many of their webhooks were answered 2xx. */
  sent: number;
  acknowledged: number;
  /** Good messages whose webhook never got a final answer (only 5xx or no connection). */
  unanswered: number;
  stored: number;
  /** Answered (2xx, or a 4xx the provider would not retry) but not in the database. */
  lost: number;
  storedTwice: number;
  outOfOrder: number;
  /** Faults the fake providers injected ("429 3, 500 4, hang 0, reset 2"). */
  faultsInjected: string;
  /** Distinct replies the fake providers accepted, per channel ("whatsapp 80 / sms 80"). */
  deliveredByChannel: string;
  /** Stored good messages whose reply never reached the fake provider. */
  repliesMissing: number;
  deliveredTwice: number;
  /** Sends delivered but not yet recorded at the moments of the kills (the provider's ack window). */
  deliveredTwiceAllowed: number;
  /** Replies to recipients the provider refuses permanently, and how many are marked failed with a reason. */
  permanentRefusals: number;
  markedFailed: number;
  /** 5xx answers to webhooks that carried only good messages. */
  goodWebhook5xx: number;
  /** Poison messages sent, and those whose webhook got no final answer (5xx until the harness gave up). */
  poisonSent: number;
  poisonUnanswered: number;
  /** Retries that came before the Retry-After of a 429 had passed. */
  retriedBeforeRetryAfter: number;
  malformedSends: number;
}

interface StoredInbound {
  readonly id: string;
  readonly text: string | null;
  readonly address: string;
}

interface StoredOutbound {
  readonly channel: string;
  readonly text: string | null;
  readonly address: string;
  readonly deliveryStatus: string;
  readonly failureReason: string | null;
}

async function inboundRows(db: Database): Promise<StoredInbound[]> {
  const rows = await db.prisma.message.findMany({
    where: { direction: 'inbound', channel: { in: CHANNELS } },
    select: { id: true, text: true, conversation: { select: { identity: { select: { address: true } } } } },
    orderBy: { id: 'asc' },
  });
  return rows.map((r) => ({ id: r.id, text: r.text, address: r.conversation.identity.address }));
}

async function outboundRows(db: Database): Promise<StoredOutbound[]> {
  const rows = await db.prisma.message.findMany({
    where: { direction: 'outbound', channel: { in: CHANNELS } },
    select: { channel: true, text: true, deliveryStatus: true, failureReason: true, conversation: { select: { identity: { select: { address: true } } } } },
  });
  return rows.map((r) => ({
    channel: r.channel,
    text: r.text,
    address: r.conversation.identity.address,
    deliveryStatus: r.deliveryStatus,
    failureReason: r.failureReason,
  }));
}

/**
 * Replies the provider has accepted whose outbox row Parley has not written since: read right
 * after a kill, they are the sends in flight at that moment (between the provider's answer and
 * its record), the most a restart may repeat. A row written after the provider accepted it
 * (say, a failed attempt recorded for a send that went through) is not in flight: a repeat of
 * it is a bookkeeping bug, not the crash's doing.
 */
export async function sendsInFlight(db: Database, ledger: DeliveryLedger): Promise<number> {
  const pending = await db.prisma.outboxItem.findMany({
    // `sending`: marked before the provider call, recorded after its answer (src/pipeline/outbox.ts).
    where: { status: { in: ['pending', 'sending'] }, channel: { in: CHANNELS } },
    select: { channel: true, recipient: true, updatedAt: true, message: { select: { text: true } } },
  });
  return pending.filter((item) => {
    const acceptedAt = ledger.lastAcceptedAt.get(deliveryKey(item.channel, item.recipient, item.message.text ?? ''));
    return acceptedAt !== undefined && item.updatedAt.getTime() <= acceptedAt;
  }).length;
}

export interface CheckInput {
  readonly db: Database;
  readonly ledger: DeliveryLedger;
  readonly outcomes: readonly WebhookOutcome[];
  /** Customers whose number the provider refuses permanently. */
  readonly refusedCustomers: ReadonlySet<number>;
  readonly deliveredTwiceAllowed: number;
}

/** Reads the database and the fake provider's counts and tallies them against what was sent. */
export async function check(input: CheckInput): Promise<Tally> {
  const { ledger, outcomes, refusedCustomers } = input;
  const [inbound, outbound] = await Promise.all([inboundRows(input.db), outboundRows(input.db)]);
  const storedByTag = new Map<string, number>();
  const seqsByAddress = new Map<string, number[]>();
  for (const row of inbound) {
    const match = TAG_PATTERN.exec(row.text ?? '');
    if (!match) continue;
    storedByTag.set(match[0], (storedByTag.get(match[0]) ?? 0) + 1);
    const seqs = seqsByAddress.get(row.address) ?? [];
    seqs.push(Number(match[2]));
    seqsByAddress.set(row.address, seqs);
  }
  const failedReplies = new Set(
    outbound.filter((o) => o.deliveryStatus === 'failed' && o.failureReason).map((o) => deliveryKey(o.channel, o.address, o.text ?? '')),
  );

  const tally: Tally = {
    sent: 0,
    acknowledged: 0,
    unanswered: 0,
    stored: 0,
    lost: 0,
    storedTwice: 0,
    outOfOrder: 0,
    repliesMissing: 0,
    faultsInjected: `429 ${ledger.faults.rate_limited}, 500 ${ledger.faults.server_error}, hang ${ledger.faults.hang}, reset ${ledger.faults.reset}`,
    deliveredByChannel: CHANNELS.map(
      (channel) => `${channel} ${[...ledger.deliveries.keys()].filter((key) => key.startsWith(`${channel}\u0001`)).length}`,
    ).join(' / '),
    deliveredTwice: ledger.duplicates(),
    deliveredTwiceAllowed: input.deliveredTwiceAllowed,
    permanentRefusals: 0,
    markedFailed: 0,
    goodWebhook5xx: 0,
    poisonSent: 0,
    poisonUnanswered: 0,
    retriedBeforeRetryAfter: ledger.retriedTooEarly,
    malformedSends: ledger.malformed.length,
  };
  for (const outcome of outcomes) {
    const hasPoison = outcome.webhook.messages.some((m) => m.poison);
    if (!hasPoison) tally.goodWebhook5xx += outcome.serverErrors;
    for (const message of outcome.webhook.messages) {
      if (message.poison) {
        tally.poisonSent++;
        if (outcome.status === 'unanswered') tally.poisonUnanswered++;
        continue;
      }
      tally.sent++;
      if (outcome.status === 'acknowledged') tally.acknowledged++;
      if (outcome.status === 'unanswered') tally.unanswered++;
      const tag = (TAG_PATTERN.exec(message.text) as RegExpExecArray)[0];
      const copies = storedByTag.get(tag) ?? 0;
      if (copies > 1) tally.storedTwice += copies - 1;
      if (copies === 0) {
        if (outcome.status !== 'unanswered') tally.lost++;
        continue;
      }
      tally.stored++;
      const key = deliveryKey(message.channel, phoneOf(message.customer), message.expectedReply ?? '');
      if (refusedCustomers.has(message.customer)) {
        tally.permanentRefusals++;
        if (failedReplies.has(key)) tally.markedFailed++;
      } else if ((ledger.deliveries.get(key) ?? 0) === 0) {
        tally.repliesMissing++;
      }
    }
  }
  for (const seqs of seqsByAddress.values()) {
    let highest = -1;
    for (const seq of seqs) {
      if (seq < highest) tally.outOfOrder++;
      highest = Math.max(highest, seq);
    }
  }
  return tally;
}

/** Everything in a tally that misses its target, in words. */
export function violationsOf(tally: Tally): string[] {
  const v: string[] = [];
  if (tally.acknowledged + tally.unanswered < tally.sent) v.push(`${tally.sent - tally.acknowledged - tally.unanswered} good messages refused with a 4xx`);
  if (tally.unanswered > 0) v.push(`${tally.unanswered} good messages never acknowledged (only 5xx or no answer)`);
  if (tally.lost > 0) v.push(`${tally.lost} answered messages lost (not stored)`);
  if (tally.storedTwice > 0) v.push(`${tally.storedTwice} messages stored twice`);
  if (tally.outOfOrder > 0) v.push(`${tally.outOfOrder} messages stored out of order`);
  if (tally.repliesMissing > 0) v.push(`${tally.repliesMissing} replies never delivered`);
  if (tally.deliveredTwice > tally.deliveredTwiceAllowed)
    v.push(`${tally.deliveredTwice} replies delivered twice (allowed: ${tally.deliveredTwiceAllowed}, the sends in flight at the kills)`);
  if (tally.markedFailed < tally.permanentRefusals)
    v.push(`${tally.permanentRefusals - tally.markedFailed} of ${tally.permanentRefusals} permanently refused replies not marked failed with a reason`);
  if (tally.goodWebhook5xx > 0) v.push(`${tally.goodWebhook5xx} 5xx answers to webhooks carrying only good messages`);
  if (tally.poisonUnanswered > 0) v.push(`${tally.poisonUnanswered} poison messages neither stored nor refused (5xx until the sender gave up)`);
  if (tally.retriedBeforeRetryAfter > 0) v.push(`${tally.retriedBeforeRetryAfter} retries before the Retry-After of a 429`);
  if (tally.malformedSends > 0) v.push(`${tally.malformedSends} requests a fake provider could not read`);
  return v;
}
