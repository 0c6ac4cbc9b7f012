import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { build } from 'esbuild';
import { packageRoot } from '../../src/package-root.ts';

// From the package root: this module also runs bundled from dist/, where a relative URL points elsewhere.
const ENTRY = join(packageRoot(import.meta.url), 'channels/webchat/widget/main.tsx');

export interface WidgetBundle {
  readonly code: string;
  readonly gzip: Buffer;
  readonly etag: string;
}

/** Bundles the widget (Preact, TypeScript) with esbuild, minified for the visitor's browser. */
export async function buildWidget(): Promise<WidgetBundle> {
  const result = await build({
    entryPoints: [ENTRY],
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
  const code = result.outputFiles[0]?.text ?? '';
  const gzip = gzipSync(code, { level: 9 });
  return { code, gzip, etag: `"${createHash('sha256').update(code).digest('base64url').slice(0, 16)}"` };
}

let cached: Promise<WidgetBundle> | undefined;

/** The bundle, built on the first request and kept for the life of the process. */
export function widgetBundle(): Promise<WidgetBundle> {
  cached ??= buildWidget().catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}
