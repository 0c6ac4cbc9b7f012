import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Where a channel may fetch media a provider's payload points at. The URL comes from outside
 * (a webhook body, an API answer): only http(s), only the provider's own hosts, never a private
 * or loopback address unless it is listed on purpose (a test's fake server, an on-premises
 * gateway), and never more than `maxBytes` or longer than `timeoutMs`.
 */
export interface MediaFetchPolicy {
  /** Host names allowed, exactly or as `*.example.com` (any subdomain of example.com). */
  readonly hosts: readonly string[];
  /** Addresses allowed although private, loopback or link-local (e.g. 127.0.0.1 for a local fake). */
  readonly privateAddresses: readonly string[];
  readonly maxBytes: number;
  readonly timeoutMs: number;
}

/** A URL or an answer the policy refuses; the message says what and why. */
export class UnsafeFetchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeFetchError';
  }
}

const MAX_REDIRECTS = 5;

const hostAllowed = (host: string, patterns: readonly string[]): boolean =>
  patterns.some((pattern) => {
    const p = pattern.toLowerCase();
    return p.startsWith('*.') ? host.endsWith(p.slice(1)) : host === p;
  });

/** Why an address may not be fetched from, or undefined when it may. */
function addressProblem(address: string, policy: MediaFetchPolicy): string | undefined {
  const parsed = ipaddr.process(address);
  if (policy.privateAddresses.some((allowed) => ipaddr.isValid(allowed) && ipaddr.process(allowed).toString() === parsed.toString())) return undefined;
  const range = parsed.range();
  return range === 'unicast' ? undefined : `${address} is a ${range} address (list it in PARLEY_MEDIA_PRIVATE_ADDRESSES to allow it)`;
}

/** The URL parsed, or an UnsafeFetchError saying why it may not be fetched. Checks scheme and host; addresses are checked on connect. */
export function checkMediaUrl(url: string, policy: MediaFetchPolicy): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UnsafeFetchError(`"${url}" is not a URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw new UnsafeFetchError(`${url}: only http and https URLs are fetched, not ${parsed.protocol}`);
  const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (!hostAllowed(host, policy.hosts)) throw new UnsafeFetchError(`${url}: host ${host} is not one of the allowed media hosts (${policy.hosts.join(', ')})`);
  if (isIP(host)) {
    const problem = addressProblem(host, policy);
    if (problem) throw new UnsafeFetchError(`${url}: ${problem}`);
  }
  return parsed;
}

/** DNS lookup that refuses private addresses: checked where the connection is made, so a second resolution cannot differ. */
function guardedLookup(policy: MediaFetchPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const problem = addresses.map((a) => addressProblem(a.address, policy)).find(Boolean);
      if (problem) return callback(new UnsafeFetchError(`${hostname} resolves to ${problem}`), '', 0);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const [first] = addresses;
      if (!first) return callback(new UnsafeFetchError(`${hostname} has no address`), '', 0);
      callback(null, first.address, first.family);
    });
  };
}

export interface FetchedMedia {
  readonly bytes: Buffer;
  readonly contentType: string | undefined;
  /** The URL the bytes came from, after redirects. */
  readonly url: string;
}

/**
 * GETs media under the policy: redirects are followed (at most 5) only to URLs the policy allows,
 * and `headers` (credentials) go only to the first URL's origin.
 */
export async function fetchMedia(url: string, policy: MediaFetchPolicy, headers: Readonly<Record<string, string>> = {}): Promise<FetchedMedia> {
  const signal = AbortSignal.timeout(policy.timeoutMs);
  const origin = checkMediaUrl(url, policy).origin;
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const target = checkMediaUrl(current, policy);
    const response = await get(target, policy, target.origin === origin ? headers : {}, signal);
    const status = response.statusCode ?? 0;
    if (status >= 300 && status < 400 && response.headers.location) {
      response.resume();
      current = new URL(response.headers.location, target).href;
      continue;
    }
    if (status < 200 || status >= 300) {
      response.resume();
      throw new Error(`${target.href} answered HTTP ${status}`);
    }
    return { bytes: await readLimited(response, target.href, policy, signal), contentType: response.headers['content-type'], url: target.href };
  }
  throw new UnsafeFetchError(`${url}: more than ${MAX_REDIRECTS} redirects`);
}

function get(url: URL, policy: MediaFetchPolicy, headers: Readonly<Record<string, string>>, signal: AbortSignal): Promise<IncomingMessage> {
  const options: RequestOptions = { method: 'GET', headers, signal, lookup: guardedLookup(policy) };
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, resolve);
    request.on('error', (error) => reject(signal.aborted ? new Error(`${url.href}: no answer within ${policy.timeoutMs} ms`) : error));
    request.end();
  });
}

async function readLimited(response: IncomingMessage, url: string, policy: MediaFetchPolicy, signal: AbortSignal): Promise<Buffer> {
  const { maxBytes } = policy;
  const declared = Number(response.headers['content-length']);
  if (declared > maxBytes) {
    response.destroy();
    throw new UnsafeFetchError(`${url}: ${declared} bytes is more than the ${maxBytes} allowed (PARLEY_MEDIA_MAX_BYTES)`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) {
        response.destroy();
        throw new UnsafeFetchError(`${url}: more than the ${maxBytes} bytes allowed (PARLEY_MEDIA_MAX_BYTES)`);
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof UnsafeFetchError) throw error;
    if (signal.aborted) throw new Error(`${url}: not downloaded within ${policy.timeoutMs} ms`, { cause: error });
    throw new Error(`${url}: the download broke off: ${(error as Error).message}`, { cause: error });
  }
  return Buffer.concat(chunks);
}
