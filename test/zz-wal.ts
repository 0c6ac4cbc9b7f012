import { openDatabase } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { statSync, readFileSync, mkdtempSync } from 'node:fs';
import { execute, sql } from '../src/db/sql.ts';
const dir = mkdtempSync('/tmp/zzwal-');
const url = `file:${dir}/t.db`;
const db = await openDatabase(url);
await db.prisma.$executeRawUnsafe('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)');
const seq = () => readFileSync(`${dir}/t.db-wal`).readUInt32BE(12);
const start = Date.now();
let n = 0;
const report = setInterval(() => console.log(((Date.now() - start) / 1000).toFixed(0), 'wal MB', (statSync(`${dir}/t.db-wal`).size / 1e6).toFixed(0), 'seq', seq(), 'tx', n), 1000);
const reader = process.argv[2] === 'read';
while (Date.now() - start < 12000) {
  const jobs = [];
  for (let i = 0; i < 20; i++) jobs.push(db.write(async (tx) => { await execute(tx, sql`INSERT INTO t (v) VALUES (${'x'.repeat(3000)})`); n++; }));
  if (reader) jobs.push(db.prisma.$queryRawUnsafe('SELECT count(*) FROM t'));
  await Promise.all(jobs);
}
clearInterval(report);
await db.close();
