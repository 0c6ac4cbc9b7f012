// The mail decoding thread when Parley runs from its TypeScript sources (tests, benchmarks):
// loads decode-worker.ts through tsx, as the parent thread was. The compiled build has its own
// entry (dist/email-decode-worker.js, see scripts/build.js).
import { register } from 'tsx/esm/api';

register();
await import('./decode-worker.ts');
