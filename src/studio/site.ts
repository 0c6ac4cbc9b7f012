import { join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { builtOnFirstUse, sendBrowserAsset } from '../core/browser-bundle.ts';
import { packageRoot } from '../package-root.ts';

// From the package root: this module also runs bundled from dist/, where a relative URL points elsewhere.
const ENTRY = join(packageRoot(import.meta.url), 'src/studio/ui/main.tsx');

/** The studio's pages (Preact) bundled with esbuild on the first request, kept for the life of the process. */
export const studioBundle = builtOnFirstUse(ENTRY);

const PAGE = `<!doctype html>
<html lang="en" dir="ltr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Parley Studio</title>
<link rel="stylesheet" href="/studio/assets/studio.css">
</head>
<body>
<div id="studio"></div>
<script src="/studio/assets/studio.js"></script>
</body>
</html>
`;

/** GET /studio: one HTML page; the pages are the script's (hash routes), the data comes from /studio/api. */
export async function registerStudioSite(app: FastifyInstance): Promise<void> {
  const page = async (_request: unknown, reply: FastifyReply) =>
    reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      // The page loads only its own script and style, and nobody may frame it.
      .header('content-security-policy', "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
      .header('x-frame-options', 'DENY')
      .send(PAGE);
  app.get('/studio', page);
  app.get('/studio/', page);
  app.get('/studio/assets/studio.js', async (request, reply) => sendBrowserAsset(request, reply, (await studioBundle()).js, 'text/javascript; charset=utf-8'));
  app.get('/studio/assets/studio.css', async (request, reply) => {
    const { css } = await studioBundle();
    if (!css) throw new Error('the studio bundle has no stylesheet: src/studio/ui/main.tsx imports styles.css');
    return sendBrowserAsset(request, reply, css, 'text/css; charset=utf-8');
  });
}
