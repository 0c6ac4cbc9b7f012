import type { Dialect } from '../../src/db/database.ts';
import type { FaultPlan } from './fake-provider.ts';
import type { LoadShape } from './load.ts';

export interface Scenario {
  readonly id: string;
  readonly title: string;
  readonly dialect: Dialect;
  /** `parley start` processes on the one database. */
  readonly processes: number;
  /** kill -9 of a random process at random moments, each followed by a restart. */
  readonly kills: number;
  readonly faults?: Omit<FaultPlan, 'refusedRecipients'>;
  /** Share of customers whose number the provider refuses permanently (HTTP 400, Meta 131026). */
  readonly refusedShare?: number;
  readonly poisonShare?: number;
}

export interface RunSize {
  readonly load: Omit<LoadShape, 'poisonShare'>;
  readonly killsScale: (kills: number) => number;
  /** Longest wait for the last replies once the load is in. */
  readonly settleMs: number;
  /** Longest time the senders keep retrying a webhook. */
  readonly loadMs: number;
  /** Random pause before each kill, so kills land at different moments of the pipeline. */
  readonly killGapMs: readonly [number, number];
}

export const sizes: Record<'short' | 'full', RunSize> = {
  short: {
    load: { customers: 40, messagesPerCustomer: 4 },
    killsScale: (kills) => Math.min(kills, 3),
    settleMs: 120_000,
    loadMs: 240_000,
    killGapMs: [1_000, 4_000],
  },
  full: {
    load: { customers: 120, messagesPerCustomer: 10 },
    killsScale: (kills) => kills,
    settleMs: 240_000,
    loadMs: 600_000,
    killGapMs: [2_000, 8_000],
  },
};

// Errors and hangs run apart: a hang that stalls every send would hide how errors are retried.
const providerErrors: Omit<FaultPlan, 'refusedRecipients'> = {
  rateLimited: 0.05,
  serverError: 0.05,
  hang: 0,
  reset: 0.05,
  maxHangs: 0,
  retryAfterSeconds: 2,
};
const providerHangs: Omit<FaultPlan, 'refusedRecipients'> = { ...providerErrors, rateLimited: 0, serverError: 0, reset: 0, hang: 0.05, maxHangs: 3 };

export const scenarios: readonly Scenario[] = [
  { id: 'a', title: 'SQLite, no faults', dialect: 'sqlite', processes: 1, kills: 0 },
  { id: 'b', title: 'SQLite, kill -9 and restart', dialect: 'sqlite', processes: 1, kills: 4 },
  { id: 'c', title: 'PostgreSQL, kill -9 and restart', dialect: 'postgresql', processes: 1, kills: 4 },
  { id: 'd', title: 'PostgreSQL, 3 processes', dialect: 'postgresql', processes: 3, kills: 0 },
  { id: 'e1', title: 'PostgreSQL, provider errors', dialect: 'postgresql', processes: 1, kills: 0, faults: providerErrors, refusedShare: 0.05 },
  { id: 'e2', title: 'PostgreSQL, provider hangs', dialect: 'postgresql', processes: 1, kills: 0, faults: providerHangs },
  { id: 'f1', title: 'SQLite, poison inputs', dialect: 'sqlite', processes: 1, kills: 0, poisonShare: 0.25 },
  { id: 'f2', title: 'PostgreSQL, poison inputs', dialect: 'postgresql', processes: 1, kills: 0, poisonShare: 0.25 },
];
