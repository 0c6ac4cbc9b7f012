/**
 * Whether a page's Origin may use the widget: any origin when no allow-list is set, else
 * exactly one of the list (scheme, host and port). Same-origin requests (the demo page, no
 * Origin header on a plain GET) pass.
 */
export function originAllowed(allowed: readonly string[], origin: string | undefined): boolean {
  if (allowed.length === 0 || origin === undefined) return true;
  return allowed.includes(origin);
}
