const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export const DURATION_HINT = 'a number and a unit (ms, s, m, h, d, w), e.g. 30m, 24h, 7d, 2w';

/** "500ms", "30s", "15m", "24h", "7d", "2w" -> milliseconds: the one duration format of the CLI, the API and config files. */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/.exec(text);
  if (!match) throw new Error(`"${text}" is not a duration: use ${DURATION_HINT}`);
  return Number(match[1]) * (UNITS[match[2] as string] as number);
}

/**
 * A `since` of a report or a statistic: a duration back from `now` ("7d") or an ISO 8601
 * date ("2026-01-31", "2026-01-31T08:00:00Z").
 */
export function parseSince(text: string, now: Date = new Date()): Date {
  if (/^\s*\d+(?:\.\d+)?\s*[a-z]+\s*$/.test(text)) return new Date(now.getTime() - parseDuration(text));
  const iso = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(text.trim());
  const date = iso ? new Date(text.trim()) : undefined;
  if (!date || Number.isNaN(date.getTime())) throw new Error(`"${text}" is neither a duration (${DURATION_HINT}) nor an ISO date such as 2026-01-31`);
  if (date.getTime() > now.getTime()) throw new Error(`"${text}" is in the future`);
  return date;
}

/** "80/s", "1/s", "30/m" -> a rate. */
export function parseRate(text: string): { count: number; perMs: number } {
  const match = /^\s*(\d+(?:\.\d+)?)\s*\/\s*(\d*)\s*(ms|s|m|h|d|w)\s*$/.exec(text);
  if (!match || Number(match[1]) <= 0) throw new Error(`"${text}" is not a rate: use e.g. 80/s, 1/s, 30/m`);
  const per = (match[2] ? Number(match[2]) : 1) * (UNITS[match[3] as string] as number);
  return { count: Number(match[1]), perMs: per };
}

/** Milliseconds as the largest whole unit: 604800000 -> "7d", 5400000 -> "90m". */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const)
    if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}
