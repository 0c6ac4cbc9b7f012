import { inboundAt } from './consent.ts';

/** How long a time noted here answers for the database (far inside any provider's reply window). */
const FRESH_MS = 60 * 60 * 1000;
/** Identities remembered at most; beyond that the memory starts again (misses just query). */
const MAX_IDENTITIES = 50_000;

const identityKey = (channel: string, address: string): string => `${channel}\u0000${address}`;

/**
 * When each identity (channel, address) last wrote, as this process handled it: WhatsApp asks
 * before every send whether the customer wrote within 24 hours, and a reply nearly always
 * follows a message this process just handled. A time noted within the last hour answers
 * without a query; it is never later than the truth (a later message only moves it on), so a
 * window it shows open is open. Older or unknown: the database answers (lastInboundAt).
 */
export class RecentInbound {
  readonly #at = new Map<string, number>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** A handled message's time, as lastInboundAt computes it (the provider's send time when earlier than storing). */
  note(channel: string, address: string, storedAt: Date, sentAt?: string): void {
    const at = inboundAt(storedAt, sentAt).getTime();
    const key = identityKey(channel, address);
    if ((this.#at.get(key) ?? 0) >= at) return;
    if (this.#at.size >= MAX_IDENTITIES) this.#at.clear();
    this.#at.set(key, at);
  }

  async lastInboundAt(channel: string, address: string, fromDatabase: () => Promise<Date | undefined>): Promise<Date | undefined> {
    const at = this.#at.get(identityKey(channel, address));
    if (at !== undefined && this.now().getTime() - at < FRESH_MS) return new Date(at);
    return fromDatabase();
  }
}
