import Database from 'better-sqlite3';
import { readdirSync } from 'node:fs';
const db = new Database(process.argv[2]);
const q = `SELECT o."id", m."conversationId", a."name", i."optedOutAt" FROM "OutboxItem" o JOIN "Message" m ON m."id" = o."messageId" LEFT JOIN "Agent" a ON a."id" = m."agentId"
      LEFT JOIN "ChannelIdentity" i ON i."channel" = o."channel" AND i."address" = o."recipient"
      WHERE o."laneKey" IN (SELECT value FROM json_each(?)) AND likely(o."status" IN ('pending', 'sending')) ORDER BY o."id"`;
console.log(db.prepare('EXPLAIN QUERY PLAN ' + q).all('["x"]'));
const lanes = db.prepare('SELECT DISTINCT "laneKey" FROM "OutboxItem" LIMIT 200').all().map((r: any) => r.laneKey);
const st = db.prepare(q);
let t = process.hrtime.bigint();
for (const l of lanes) st.all(JSON.stringify([l]));
console.log('per call ms', Number(process.hrtime.bigint() - t) / 1e6 / lanes.length, db.prepare('select count(*) c from "OutboxItem"').get());
