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

/**
 * A Retry-After header in ms: delay-seconds or an HTTP date (RFC 9110, section 10.2.3,
 * https://www.rfc-editor.org/rfc/rfc9110#field.retry-after). Undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
