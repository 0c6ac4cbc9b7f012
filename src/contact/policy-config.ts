import { parseDuration } from '../core/duration.ts';

/** The kinds of proactive message the contact policy counts. */
export const CONTACT_KINDS = ['campaign', 'winback', 'survey', 'notice'] as const;
export type ContactKind = (typeof CONTACT_KINDS)[number];

/** At most `max` proactive messages within `withinMs`. */
export interface ContactCap {
  readonly max: number;
  readonly withinMs: number;
}

/** "2/7d": at most two a week; "0/1d" sends none. */
export function parseContactCap(value: string): ContactCap {
  const match = /^\s*(\d+)\s*\/\s*(\S+)\s*$/.exec(value);
  if (!match) throw new Error(`"${value}" is not messages/duration such as 2/7d`);
  return { max: Number(match[1]), withinMs: parseDuration(match[2]!) };
}

/** "sms=1/7d,whatsapp=2/7d": a cap per channel. */
export function parseChannelCaps(value: string): Readonly<Record<string, ContactCap>> {
  const caps: Record<string, ContactCap> = {};
  for (const part of value
    .split(/[;,]/)
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [channel, cap] = part.split('=').map((s) => s.trim());
    if (!channel || !cap) throw new Error(`"${part}" is not channel=messages/duration (e.g. sms=1/7d)`);
    caps[channel] = parseContactCap(cap);
  }
  return caps;
}

/** "campaign,survey" or "none": contact kinds, checked against CONTACT_KINDS. */
export function parseContactKinds(value: string): readonly ContactKind[] {
  if (value.trim() === 'none') return [];
  const kinds = value
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  for (const kind of kinds)
    if (!(CONTACT_KINDS as readonly string[]).includes(kind)) throw new Error(`"${kind}" is not a contact kind: use ${CONTACT_KINDS.join(', ')} or none`);
  return kinds as ContactKind[];
}

/** "whatsapp,sms" or "none". */
export function parseConsentChannels(value: string): readonly string[] {
  if (value.trim() === 'none') return [];
  return value
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
}

/** The effective contact-frequency policy (the PARLEY_*CONTACT* settings; README "Never too often"). */
export interface ContactPolicy {
  /** Every proactive message, whatever its kind and channel. */
  readonly overall: ContactCap;
  readonly perKind: Readonly<Record<ContactKind, ContactCap>>;
  readonly perChannel: Readonly<Record<string, ContactCap>>;
  /** Kinds that skip a customer in an open conversation (held by an agent or mid-flow) or with an open complaint. */
  readonly skipBusy: readonly ContactKind[];
  /** How recently a flow session must have moved to count as the customer being mid-flow. */
  readonly midFlowWithinMs: number;
  /** Channels on which a campaign reaches only customers who wrote to us there first (their opt-in). */
  readonly consentChannels: readonly string[];
}

/** The settings the policy is read from (a subset of src/config.ts's Config). */
export interface ContactSettings {
  readonly PARLEY_CONTACT_CAP: ContactCap;
  readonly PARLEY_CAMPAIGN_CONTACT_CAP: ContactCap;
  readonly PARLEY_WINBACK_CONTACT_CAP: ContactCap;
  readonly PARLEY_SURVEY_CONTACT_CAP: ContactCap;
  readonly PARLEY_NOTICE_CONTACT_CAP: ContactCap;
  readonly PARLEY_CHANNEL_CONTACT_CAPS?: Readonly<Record<string, ContactCap>> | undefined;
  readonly PARLEY_CONTACT_SKIP_BUSY: readonly ContactKind[];
  readonly PARLEY_CONSENT_CHANNELS: readonly string[];
  readonly PARLEY_REOPEN_WINDOW: number;
}

export function contactPolicyFrom(settings: ContactSettings): ContactPolicy {
  return {
    overall: settings.PARLEY_CONTACT_CAP,
    perKind: {
      campaign: settings.PARLEY_CAMPAIGN_CONTACT_CAP,
      winback: settings.PARLEY_WINBACK_CONTACT_CAP,
      survey: settings.PARLEY_SURVEY_CONTACT_CAP,
      notice: settings.PARLEY_NOTICE_CONTACT_CAP,
    },
    perChannel: settings.PARLEY_CHANNEL_CONTACT_CAPS ?? {},
    skipBusy: settings.PARLEY_CONTACT_SKIP_BUSY,
    midFlowWithinMs: settings.PARLEY_REOPEN_WINDOW,
    consentChannels: settings.PARLEY_CONSENT_CHANNELS,
  };
}
