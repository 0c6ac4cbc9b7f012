/**
 * Delay before retry number `attempt` (1 = first retry): exponential, capped, with "equal
 * jitter" (half fixed, half random) so retries of many sends spread out. A provider's
 * Retry-After wins when it asks for longer.
 */
export function retryDelay(attempt: number, options: { baseMs: number; maxMs: number; retryAfterMs?: number; random?: () => number }): number {
  const exponential = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = exponential / 2 + (options.random ?? Math.random)() * (exponential / 2);
  return Math.max(Math.round(jittered), options.retryAfterMs ?? 0);
}
