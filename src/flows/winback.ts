/**
 * The dedup key of a win-back start: a customer gets a win-back flow once, whichever path
 * starts it (the flow engine's `inactive` trigger or the lifecycle sweep's churned customers),
 * and routing's `Lifecycle.mayWinBack` looks for it to tell who was reached already.
 */
export const winbackKey = (flowId: string, customerId: string): string => `winback:${flowId}:${customerId}`;

/** A customer a win-back would reach, on the channel of their last conversation. */
export interface WinbackTarget {
  readonly customerId: string;
  readonly channel: string;
}
