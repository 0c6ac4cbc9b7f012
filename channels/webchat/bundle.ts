import { join } from 'node:path';
import { type BrowserAsset, builtOnFirstUse, bundleForBrowser } from '../../src/core/browser-bundle.ts';
import { packageRoot } from '../../src/package-root.ts';

// From the package root: this module also runs bundled from dist/, where a relative URL points elsewhere.
const ENTRY = join(packageRoot(import.meta.url), 'channels/webchat/widget/main.tsx');

/** Bundles the widget (Preact, TypeScript) with esbuild, minified for the visitor's browser. */
export async function buildWidget(): Promise<BrowserAsset> {
  return (await bundleForBrowser(ENTRY)).js;
}

/** The widget (Preact, TypeScript) bundled with esbuild, built on the first request and kept for the life of the process. */
const widget = builtOnFirstUse(ENTRY);
export const widgetBundle = async (): Promise<BrowserAsset> => (await widget()).js;
