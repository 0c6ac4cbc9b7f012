import { normalizeAddress } from '../core/address.ts';
import type { ParsedInboundMessage } from '../core/message.ts';
import type { Prisma as PrismaClient } from '../db/database.ts';
import type { ChannelIdentity } from '../generated/sqlite/client.ts';

/**
 * Messages that change something already stored rather than say something new: a reaction,
 * an edit or a deletion of an earlier message, and a sender whose address changed. Each is
 * kept as a message row (so agents see it in the conversation and the Slack thread) and
 * applied to what it changes; none is handed to a flow.
 */

export type Amendment = NonNullable<ParsedInboundMessage['amends']>;

/** What a revoked message's text becomes: the original stays only in the raw inbox payload. */
export const REVOKED_TEXT = '(deleted by the customer)';

const EXCERPT = 80;
const excerpt = (text: string | null | undefined): string => {
  if (!text) return '';
  const graphemes = [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)].map((s) => s.segment);
  const short = graphemes.length > EXCERPT ? `${graphemes.slice(0, EXCERPT - 1).join('')}…` : text;
  return ` “${short.replace(/\s+/g, ' ')}”`;
};

/** The line agents see for an amendment, quoting the message it changes when Parley has it. */
export function amendmentText(amendment: Amendment, targetText: string | null | undefined): string {
  switch (amendment.kind) {
    case 'reaction':
      return amendment.emoji
        ? `reacted ${amendment.emoji} to${excerpt(targetText) || ' a message'}`
        : `removed their reaction from${excerpt(targetText) || ' a message'}`;
    case 'edit':
      return `edited${excerpt(targetText) || ' a message'} to: ${amendment.text ?? ''}`.trimEnd();
    case 'revoke':
      return `deleted${excerpt(targetText) || ' a message'}`;
  }
}

/** The stored text of the message an amendment names, in this identity's conversations (a reaction is often on the business's own message). */
export async function targetText(reader: PrismaClient, channel: string, identityId: string, target: string): Promise<string | null | undefined> {
  const message = await reader.message.findFirst({
    where: { channel, externalId: target, conversation: { identityId } },
    select: { text: true },
  });
  return message ? message.text : undefined;
}

/** An edit replaces the text of the customer's message; a deletion blanks it and its attachments. A reaction changes nothing stored. */
export async function applyAmendment(tx: PrismaClient, channel: string, identityId: string, amendment: Amendment): Promise<number> {
  if (amendment.kind === 'reaction') return 0;
  const data = amendment.kind === 'edit' ? { text: amendment.text ?? null } : { text: REVOKED_TEXT, attachments: [] };
  const { count } = await tx.message.updateMany({
    where: { channel, externalId: amendment.target, direction: 'inbound', conversation: { identityId } },
    data,
  });
  return count;
}

export type AddressMove = { readonly status: 'moved' | 'taken' | 'same'; readonly address: string };

/**
 * Moves the identity to its new address (WhatsApp's user_changed_number), so the customer's
 * history follows them. When another identity already has the new address it is left alone
 * (two records of one person: a merge is an agent's decision).
 */
export async function moveIdentity(
  tx: PrismaClient,
  identity: Pick<ChannelIdentity, 'id' | 'channel' | 'address'>,
  kind: 'phone' | 'email' | 'opaque',
  rawAddress: string,
  defaultRegion: string | undefined,
): Promise<AddressMove> {
  const address = normalizeAddress(kind, rawAddress, defaultRegion);
  if (address === identity.address) return { status: 'same', address };
  const taken = await tx.channelIdentity.findUnique({ where: { channel_address: { channel: identity.channel, address } }, select: { id: true } });
  if (taken) return { status: 'taken', address };
  await tx.channelIdentity.update({ where: { id: identity.id }, data: { address } });
  return { status: 'moved', address };
}
