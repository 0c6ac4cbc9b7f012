// A thread of MailDecodePool (decode-pool.ts): decodes one mail per message. Its files are
// written with blocking calls, which hold only this thread and cost less than asynchronous ones.
import { parentPort } from 'node:worker_threads';
import type { DecodeAnswer, DecodeJob } from './decode-pool.ts';
import { decodeMail } from './parse.ts';
import { MailFileStore } from './store.ts';

const port = parentPort;
if (!port) throw new Error('channels/email/decode-worker.ts runs as a worker thread of MailDecodePool');

const stores = new Map<string, MailFileStore>();
const storeAt = (root: string) => {
  let store = stores.get(root);
  if (!store) stores.set(root, (store = new MailFileStore(root, { blocking: true })));
  return store;
};

port.on('message', (job: DecodeJob) => {
  const { storeRoot, ownAddresses, ...context } = job.context;
  const source = Buffer.from(job.source.buffer, job.source.byteOffset, job.source.byteLength);
  decodeMail(source, { ...context, ownAddresses: new Set(ownAddresses), store: storeAt(storeRoot) }).then(
    (decoded) => port.postMessage({ id: job.id, decoded } satisfies DecodeAnswer),
    (error: Error) => port.postMessage({ id: job.id, error: { message: String(error?.message ?? error), stack: error?.stack } } satisfies DecodeAnswer),
  );
});
