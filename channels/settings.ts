import { parseDuration } from '../src/core/duration.ts';
import type { MediaFetchPolicy } from '../src/core/safe-fetch.ts';

/** Reads a positive whole number from a channel setting, or says which variable is wrong. */
export function positiveIntSetting(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name}="${raw}" is not a positive whole number`);
  return value;
}

const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);

/**
 * Where a channel may fetch inbound media from: its hosts from `hostsSetting` (default the
 * provider's own), the shared PARLEY_MEDIA_* limits.
 */
export function mediaFetchPolicy(env: Readonly<Record<string, string | undefined>>, hostsSetting: string, defaultHosts: readonly string[]): MediaFetchPolicy {
  const hosts = list(env[hostsSetting]);
  return {
    hosts: hosts.length > 0 ? hosts : defaultHosts,
    privateAddresses: list(env.PARLEY_MEDIA_PRIVATE_ADDRESSES),
    maxBytes: positiveIntSetting(env, 'PARLEY_MEDIA_MAX_BYTES', 25 * 1024 * 1024),
    timeoutMs: env.PARLEY_MEDIA_TIMEOUT ? parseDuration(env.PARLEY_MEDIA_TIMEOUT) : 30_000,
  };
}
