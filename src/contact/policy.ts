import { newId } from '../core/ids.ts';
import type { Database, Prisma } from '../db/database.ts';
import { HUMAN_STATUSES } from '../pipeline/handler.ts';
import type { ContactCap, ContactKind, ContactPolicy } from './policy-config.ts';
import { OPEN_TICKET_STATUSES } from '../routing/ticket-statuses.ts';

export { CONTACT_KINDS, type ContactKind, type ContactPolicy, contactPolicyFrom } from './policy-config.ts';

/**
 * Why a proactive message was not sent: the policy's own reasons, plus those campaigns and the
 * template registry decide (quiet_hours, template_missing, template_invalid, already_won_back), so every skip is
 * counted in one vocabulary.
 */
export const SKIP_REASONS = [
  'frequency_cap',
  'opted_out',
  'no_consent',
  'open_conversation',
  'open_complaint',
  'quiet_hours',
  'no_channel',
  'template_missing',
  'template_invalid',
  'already_won_back',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export interface ContactRequest {
  readonly customerId: string;
  readonly channel: string;
  readonly kind: ContactKind;
  readonly campaignId?: string;
}

export interface ContactRecord extends ContactRequest {
  readonly messageId?: string;
}

export type ContactDecision = { allowed: true } | { allowed: false; reason: SkipReason };

// Customers per query: keeps IN lists well under both databases' parameter limits.
const CHUNK = 500;

const clientOf = (db: Database | Prisma): Prisma => ('dialect' in db ? db.prisma : db);

/**
 * Whether the contact policy lets Parley start this proactive message now. Reads only: call
 * `recordContact` in the transaction that queues the message. `db` is the database or an open
 * transaction (a survey decides inside the one that records it).
 */
export async function checkContact(db: Database | Prisma, request: ContactRequest, now: Date, policy: ContactPolicy): Promise<ContactDecision> {
  const [decision] = await checkContacts(db, [request], now, policy);
  return decision!;
}

/**
 * `checkContact` for many customers at once (a campaign's audience, a sweep's page): a few
 * queries per 500 customers. Decisions come back in the order of `requests`; contacts recorded
 * for earlier requests of the same call are not counted (one request per customer).
 */
export async function checkContacts(db: Database | Prisma, requests: readonly ContactRequest[], now: Date, policy: ContactPolicy): Promise<ContactDecision[]> {
  const decisions: ContactDecision[] = [];
  for (let i = 0; i < requests.length; i += CHUNK) decisions.push(...(await checkChunk(clientOf(db), requests.slice(i, i + CHUNK), now, policy)));
  return decisions;
}

async function checkChunk(client: Prisma, requests: readonly ContactRequest[], now: Date, policy: ContactPolicy): Promise<ContactDecision[]> {
  const customerIds = [...new Set(requests.map((r) => r.customerId))];
  const identities = await client.channelIdentity.findMany({
    where: { customerId: { in: customerIds } },
    select: { id: true, customerId: true, channel: true, optedOutAt: true },
  });
  const needConsent = requests.filter((r) => r.kind === 'campaign' && policy.consentChannels.includes(r.channel));
  const consentIdentities = identities.filter((i) => needConsent.some((r) => r.customerId === i.customerId && r.channel === i.channel)).map((i) => i.id);
  const consented = new Set(
    consentIdentities.length === 0
      ? []
      : (
          await client.conversation.findMany({
            where: { identityId: { in: consentIdentities }, messages: { some: { direction: 'inbound' } } },
            select: { identityId: true },
          })
        ).map((c) => c.identityId),
  );
  const busyIds = [...new Set(requests.filter((r) => policy.skipBusy.includes(r.kind)).map((r) => r.customerId))];
  const [held, midFlow, complaints] =
    busyIds.length === 0
      ? [[], [], []]
      : await Promise.all([
          client.conversation.findMany({ where: { customerId: { in: busyIds }, status: { in: [...HUMAN_STATUSES] } }, select: { customerId: true } }),
          client.flowSession.findMany({
            where: { customerId: { in: busyIds }, status: 'active', updatedAt: { gt: new Date(now.getTime() - policy.midFlowWithinMs) } },
            select: { customerId: true },
          }),
          client.ticket.findMany({
            where: { customerId: { in: busyIds }, kind: 'complaint', status: { in: [...OPEN_TICKET_STATUSES] } },
            select: { customerId: true },
          }),
        ]);
  const inConversation = new Set([...held, ...midFlow].map((c) => c.customerId));
  const withComplaint = new Set(complaints.map((t) => t.customerId));
  const caps = (r: ContactRequest) => capsFor(policy, r);
  const longest = Math.max(0, ...requests.flatMap((r) => caps(r).map(({ cap }) => cap.withinMs)));
  const logs = await client.contactLog.findMany({
    where: { customerId: { in: customerIds }, at: { gt: new Date(now.getTime() - longest), lte: now } },
    select: { customerId: true, channel: true, kind: true, at: true },
  });
  const logsOf = new Map<string, typeof logs>();
  for (const l of logs) logsOf.set(l.customerId, [...(logsOf.get(l.customerId) ?? []), l]);

  return requests.map((r): ContactDecision => {
    const own = identities.filter((i) => i.customerId === r.customerId && i.channel === r.channel);
    if (own.length === 0) return { allowed: false, reason: 'no_channel' };
    // One opted-out address on the channel is the customer saying no there.
    if (own.some((i) => i.optedOutAt !== null)) return { allowed: false, reason: 'opted_out' };
    if (needConsent.includes(r) && !own.some((i) => consented.has(i.id))) return { allowed: false, reason: 'no_consent' };
    if (policy.skipBusy.includes(r.kind)) {
      if (withComplaint.has(r.customerId)) return { allowed: false, reason: 'open_complaint' };
      if (inConversation.has(r.customerId)) return { allowed: false, reason: 'open_conversation' };
    }
    const past = logsOf.get(r.customerId) ?? [];
    for (const { cap, counts } of caps(r)) {
      const since = now.getTime() - cap.withinMs;
      if (past.filter((l) => l.at.getTime() > since && counts(l)).length >= cap.max) return { allowed: false, reason: 'frequency_cap' };
    }
    return { allowed: true };
  });
}

type CountedCap = { cap: ContactCap; counts: (past: { kind: string; channel: string }) => boolean };

/** The caps a request falls under, each with which past contacts count against it. */
function capsFor(policy: ContactPolicy, request: ContactRequest): CountedCap[] {
  const caps: CountedCap[] = [
    { cap: policy.overall, counts: () => true },
    { cap: policy.perKind[request.kind], counts: (past) => past.kind === request.kind },
  ];
  const channelCap = policy.perChannel[request.channel];
  if (channelCap) caps.push({ cap: channelCap, counts: (past) => past.channel === request.channel });
  return caps;
}

/** Records a proactive contact; call it in the transaction that queues the message (or starts its flow). */
export async function recordContact(tx: Prisma, record: ContactRecord, now: Date): Promise<void> {
  await recordContacts(tx, [record], now);
}

/** `recordContact` for many customers in one statement. */
export async function recordContacts(tx: Prisma, records: readonly ContactRecord[], now: Date): Promise<void> {
  if (records.length === 0) return;
  await tx.contactLog.createMany({
    data: records.map((r) => ({
      id: newId(),
      customerId: r.customerId,
      channel: r.channel,
      kind: r.kind,
      campaignId: r.campaignId ?? null,
      messageId: r.messageId ?? null,
      at: now,
    })),
  });
}
