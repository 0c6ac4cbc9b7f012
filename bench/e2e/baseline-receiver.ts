// The baseline of `npm run bench:e2e`: the least a durable webhook receiver must do. Fastify,
// the same X-Hub-Signature-256 check as Parley's WhatsApp channel, every message stored in
// better-sqlite3 (WAL, synchronous=FULL) before the 200, writes group-committed every 5 ms.
// Run as a child process: `node bin/run-ts.js bench/e2e/baseline-receiver.ts <sqlite file> <app secret>`;
// it sends `{ port }` over IPC once listening and stops on any IPC message.
import { createHmac, timingSafeEqual } from 'node:crypto';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { z } from 'zod';

const [file, appSecret] = process.argv.slice(2);
if (!file || !appSecret) throw new Error('usage: baseline-receiver.ts <sqlite file> <app secret>');

const GROUP_COMMIT_MS = 5;

const WebhookSchema = z.object({
  entry: z.array(
    z.object({
      changes: z.array(
        z.object({
          value: z.object({
            messages: z.array(z.object({ id: z.string(), from: z.string() }).passthrough()).optional(),
          }),
        }),
      ),
    }),
  ),
});

const sqlite = new Database(file);
sqlite.pragma('journal_mode = WAL');
sqlite.pragma('synchronous = FULL');
sqlite.exec('CREATE TABLE IF NOT EXISTS inbox (external_id TEXT PRIMARY KEY, sender TEXT NOT NULL, payload TEXT NOT NULL, received_at INTEGER NOT NULL)');
const insert = sqlite.prepare('INSERT OR IGNORE INTO inbox VALUES (?, ?, ?, ?)');

interface Waiting {
  readonly rows: { id: string; from: string; payload: string }[];
  readonly stored: () => void;
}
let queue: Waiting[] = [];
const commit = sqlite.transaction((batch: Waiting[]) => {
  const now = Date.now();
  for (const waiting of batch) for (const row of waiting.rows) insert.run(row.id, row.from, row.payload, now);
});
setInterval(() => {
  if (queue.length === 0) return;
  const batch = queue;
  queue = [];
  commit(batch);
  for (const waiting of batch) waiting.stored();
}, GROUP_COMMIT_MS);

const app = Fastify();
app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
app.post('/webhooks/whatsapp', async (request, reply) => {
  const raw = request.body as Buffer;
  const expected = Buffer.from(`sha256=${createHmac('sha256', appSecret).update(raw).digest('hex')}`);
  const given = Buffer.from(String(request.headers['x-hub-signature-256'] ?? ''));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return reply.code(401).send({ error: 'bad signature' });
  const parsed = WebhookSchema.safeParse(JSON.parse(raw.toString('utf8')));
  if (!parsed.success) return reply.code(400).send({ error: parsed.error.message });
  const rows = parsed.data.entry.flatMap((entry) =>
    entry.changes.flatMap((change) => (change.value.messages ?? []).map((m) => ({ id: m.id, from: m.from, payload: JSON.stringify(m) }))),
  );
  await new Promise<void>((stored) => queue.push({ rows, stored }));
  return reply.code(200).send();
});

// The same listen backlog as `parley start` (src/cli/start-action.ts).
await app.listen({ host: '127.0.0.1', port: 0, backlog: 4096 });
process.send?.({ port: (app.server.address() as { port: number }).port });
process.on('message', () => {
  void app.close().then(() => {
    sqlite.close();
    process.exit(0);
  });
});
