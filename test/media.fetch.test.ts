import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { storedMediaPath } from '../src/core/media-store.ts';
import { fetchMedia, type MediaFetchPolicy } from '../src/core/safe-fetch.ts';
import { FakeHttpServer } from './support/fake-http.ts';

const policy = (overrides: Partial<MediaFetchPolicy> = {}): MediaFetchPolicy => ({
  hosts: ['127.0.0.1', 'localhost'],
  privateAddresses: ['127.0.0.1'],
  maxBytes: 1024,
  timeoutMs: 30_000,
  ...overrides,
});

describe('media fetching', () => {
  const servers: FakeHttpServer[] = [];
  let hanging: Server | undefined;

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
    hanging?.closeAllConnections();
    hanging?.close();
    hanging = undefined;
  });

  async function fake(route: FakeHttpServer['route']): Promise<{ server: FakeHttpServer; url: string }> {
    const server = new FakeHttpServer();
    server.route = route;
    servers.push(server);
    return { server, url: await server.listen() };
  }

  it('fetches http(s) media from an allowed host, sending the credentials', async () => {
    const { server, url } = await fake((_r, response) => {
      response.writeHead(200, { 'content-type': 'image/png' });
      response.end(Buffer.from('png!'));
    });
    const media = await fetchMedia(`${url}/m/1`, policy(), { authorization: 'Basic abc' });
    expect(media).toEqual({ bytes: Buffer.from('png!'), contentType: 'image/png', url: `${url}/m/1` });
    expect(server.requests.map((r) => [r.url, r.headers.authorization])).toEqual([['/m/1', 'Basic abc']]);
  });

  it('never reads file: URLs, other schemes or hosts not on the list', async () => {
    await expect(fetchMedia('file:///etc/passwd', policy())).rejects.toThrow('file:///etc/passwd: only http and https URLs are fetched, not file:');
    await expect(fetchMedia('ftp://127.0.0.1/x', policy())).rejects.toThrow('only http and https URLs are fetched, not ftp:');
    await expect(fetchMedia('https://evil.example/x', policy())).rejects.toThrow(
      'host evil.example is not one of the allowed media hosts (127.0.0.1, localhost)',
    );
  });

  it('refuses private and loopback addresses unless listed, also when a host name resolves to one', async () => {
    const { server, url } = await fake((_r, response) => response.end('secret'));
    const port = new URL(url).port;
    const strict = policy({ privateAddresses: [] });
    await expect(fetchMedia(`http://127.0.0.1:${port}/`, strict)).rejects.toThrow('127.0.0.1 is a loopback address');
    await expect(fetchMedia(`http://localhost:${port}/`, strict)).rejects.toThrow(/localhost resolves to .* is a loopback address/);
    await expect(fetchMedia(`http://[::ffff:127.0.0.1]:${port}/`, policy({ hosts: ['::ffff:7f00:1'], privateAddresses: [] }))).rejects.toThrow(
      'is a loopback address',
    );
    expect(server.requests).toHaveLength(0);
  });

  it('follows a redirect only to an allowed host, and sends credentials only to the first origin', async () => {
    const { server: cdn, url: cdnUrl } = await fake((_r, response) => response.end('bytes'));
    const { url } = await fake((request, response) => {
      response.writeHead(302, { location: request.url === '/away' ? 'https://evil.example/steal' : `${cdnUrl}/file` });
      response.end();
    });
    await expect(fetchMedia(`${url}/away`, policy())).rejects.toThrow('host evil.example is not one of the allowed media hosts');
    const media = await fetchMedia(`${url}/ok`, policy(), { authorization: 'Basic abc' });
    expect(media.bytes.toString()).toBe('bytes');
    expect(cdn.requests.map((r) => r.headers.authorization)).toEqual([undefined]);
  });

  it('stops at the size limit, declared or streamed', async () => {
    const { url } = await fake((request, response) => {
      if (request.url === '/declared') response.writeHead(200, { 'content-length': '2048' });
      else response.writeHead(200, { 'transfer-encoding': 'chunked' });
      response.end(Buffer.alloc(2048));
    });
    await expect(fetchMedia(`${url}/declared`, policy())).rejects.toThrow('2048 bytes is more than the 1024 allowed (PARLEY_MEDIA_MAX_BYTES)');
    await expect(fetchMedia(`${url}/streamed`, policy())).rejects.toThrow('more than the 1024 bytes allowed (PARLEY_MEDIA_MAX_BYTES)');
  });

  it('gives up on a server that never answers', async () => {
    hanging = createServer(() => {});
    await new Promise<void>((resolve) => hanging?.listen(0, '127.0.0.1', resolve));
    const port = (hanging.address() as AddressInfo).port;
    await expect(fetchMedia(`http://127.0.0.1:${port}/`, policy({ timeoutMs: 200 }))).rejects.toThrow('no answer within 200 ms');
  });
});

describe('the media store', () => {
  it('gives the path of a file Parley saved, and nothing for any other file: URL', () => {
    const dataDir = '/var/lib/parley';
    const saved = join(dataDir, 'attachments', 'whatsapp', 'media-1.jpg');
    expect(storedMediaPath(dataDir, pathToFileURL(saved).href)).toBe(saved);
    expect(storedMediaPath(dataDir, 'file:///etc/passwd')).toBeUndefined();
    expect(storedMediaPath(dataDir, 'file:///var/lib/parley/attachments/../parley.db')).toBeUndefined();
    expect(storedMediaPath(dataDir, 'file:///var/lib/parley/attachments-evil/x')).toBeUndefined();
    expect(storedMediaPath(dataDir, 'https://api.twilio.com/x')).toBeUndefined();
  });
});
