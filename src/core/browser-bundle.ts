import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** One file a browser loads, kept compressed and with its ETag. */
export interface BrowserAsset {
  readonly code: string;
  readonly gzip: Buffer;
  readonly etag: string;
}

export interface BrowserBundle {
  readonly js: BrowserAsset;
  /** The CSS the entry's modules import, when they import any. */
  readonly css?: BrowserAsset;
}

function asset(code: string): BrowserAsset {
  return { code, gzip: gzipSync(code, { level: 9 }), etag: `"${createHash('sha256').update(code).digest('base64url').slice(0, 16)}"` };
}

/** Bundles a Preact (TypeScript) entry with esbuild, minified for browsers: one script, and one stylesheet if CSS is imported. */
export async function bundleForBrowser(entry: string): Promise<BrowserBundle> {
  // Loaded on the first request, not at start: the esbuild package costs memory a server at rest does not need.
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: { main: entry },
    outdir: '/bundle',
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2020'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const output = (extension: string) => result.outputFiles.find((file) => file.path.endsWith(extension))?.text;
  const css = output('.css');
  return { js: asset(output('.js') ?? ''), ...(css === undefined ? {} : { css: asset(css) }) };
}

/** A bundle built on the first request and kept for the life of the process (a failed build is tried again). */
export function builtOnFirstUse(entry: string): () => Promise<BrowserBundle> {
  let cached: Promise<BrowserBundle> | undefined;
  return () => {
    cached ??= bundleForBrowser(entry).catch((error: unknown) => {
      cached = undefined;
      throw error;
    });
    return cached;
  };
}

/** Answers with an asset: 304 when the browser has it, gzip when the browser takes it. */
export function sendBrowserAsset(request: FastifyRequest, reply: FastifyReply, file: BrowserAsset, contentType: string): FastifyReply {
  reply.header('content-type', contentType).header('cache-control', 'public, max-age=300').header('etag', file.etag);
  if (request.headers['if-none-match'] === file.etag) return reply.status(304).send();
  if (/\bgzip\b/.test(request.headers['accept-encoding'] ?? '')) return reply.header('content-encoding', 'gzip').send(file.gzip);
  return reply.send(file.code);
}
