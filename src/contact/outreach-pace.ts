import type { Rate } from '../core/channel.ts';
import type { JobDraft } from '../pipeline/jobs.ts';

/** Sends outreach may queue on a channel per window of `windowMs`. */
export interface OutreachBudget {
  readonly perWindow: number;
  readonly windowMs: number;
}

/** Outreach per window on a channel with no published rate. */
const UNLIMITED_BATCH = 500;

/**
 * How many sends outreach (campaigns, win-back starts) may queue on a channel per window:
 * `percent` of the provider's rate (PARLEY_CAMPAIGN_RATE_SHARE), at least one per window (SMS at
 * 1/s and 50% queues 1 per 2 s). The rest of the rate stays free for conversations, so outreach
 * never holds up a reply: the outbox sends in order, and a reply queued behind a backlog waits.
 */
export function outreachBudget(rate: Rate | undefined, percent: number): OutreachBudget {
  if (!rate) return { perWindow: UNLIMITED_BATCH, windowMs: 1000 };
  const share = (rate.count * percent) / 100;
  const perWindow = Math.max(1, Math.floor(share));
  return { perWindow, windowMs: Math.ceil((rate.perMs * perWindow) / share) };
}

/**
 * Spreads the start jobs of a sweep's win-backs over time within each channel's outreach
 * budget: a sweep that finds 100,000 customers inactive would otherwise make them all due at
 * once, their flows would take the CPU from incoming webhooks, and their messages would fill
 * the outbox ahead of every reply for as long as the provider's rate takes to drain them. Each
 * process paces what it schedules (both win-back sweeps share one pacer); slots are not shared
 * between processes.
 */
export class OutreachPacer {
  readonly #windows = new Map<string, { startsAt: number; used: number }>();

  constructor(private readonly budgetOf: (channel: string) => OutreachBudget) {}

  /** The drafts with their runAt moved to the channel's next free slot (now, when the budget has room). */
  pace(starts: readonly { readonly channel: string; readonly draft: JobDraft }[], now: Date): JobDraft[] {
    return starts.map(({ channel, draft }) => {
      const { perWindow, windowMs } = this.budgetOf(channel);
      let window = this.#windows.get(channel);
      if (!window || window.startsAt + windowMs <= now.getTime()) window = { startsAt: now.getTime(), used: 0 };
      if (window.used >= perWindow) window = { startsAt: window.startsAt + windowMs, used: 0 };
      window.used++;
      this.#windows.set(channel, window);
      const runAt = new Date(Math.max(window.startsAt, (draft.runAt ?? now).getTime()));
      return { ...draft, runAt };
    });
  }
}
