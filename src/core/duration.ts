const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "500ms", "30s", "15m", "24h", "7d" -> milliseconds. */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(text);
  if (!match) throw new Error(`"${text}" is not a duration: use a number and a unit, e.g. 500ms, 30s, 15m, 24h, 7d`);
  return Number(match[1]) * (UNITS[match[2] as string] as number);
}

/** "80/s", "1/s", "30/m" -> a rate. */
export function parseRate(text: string): { count: number; perMs: number } {
  const match = /^\s*(\d+(?:\.\d+)?)\s*\/\s*(\d*)\s*(ms|s|m|h|d)\s*$/.exec(text);
  if (!match || Number(match[1]) <= 0) throw new Error(`"${text}" is not a rate: use e.g. 80/s, 1/s, 30/m`);
  const per = (match[2] ? Number(match[2]) : 1) * (UNITS[match[3] as string] as number);
  return { count: Number(match[1]), perMs: per };
}
