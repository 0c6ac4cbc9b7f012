export type Strategy = 'round_robin' | 'least_loaded' | 'manual';

export interface Candidate {
  readonly id: string;
  readonly capacity: number;
  /** Conversations the agent has open now. */
  load: number;
}

/**
 * Who gets the next conversation: round robin takes the next agent after the previous one
 * (in a stable order) who has room; least loaded takes the one with the fewest open
 * conversations (ties in the same stable order); manual assigns nobody.
 */
export function pickAgent(strategy: Strategy, candidates: readonly Candidate[], previous: string | null): Candidate | undefined {
  const open = [...candidates].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).filter((c) => c.load < c.capacity);
  if (open.length === 0 || strategy === 'manual') return undefined;
  if (strategy === 'least_loaded') return open.reduce((best, c) => (c.load < best.load ? c : best));
  return open.find((c) => previous !== null && c.id > previous) ?? open[0];
}

const RANK = { urgent: 0, high: 1, normal: 2, low: 3 } as const;

/** Queue order: higher priority first, then who waited longest (ids are time-ordered). */
export function queueOrder<T extends { id: string; priority: keyof typeof RANK }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => RANK[a.priority] - RANK[b.priority] || (a.id < b.id ? -1 : 1));
}

export const raisePriority = <P extends keyof typeof RANK>(a: P, b: P): P => (RANK[b] < RANK[a] ? b : a);
