// Child process for the killed-migration test: migrates DATABASE_URL and, when a migration
// whose name ends with PAUSE_AT has run but is not committed yet, says so and waits to be killed.
import { openDatabase } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';

const [databaseUrl, pauseAt] = process.argv.slice(2);
const db = await openDatabase(databaseUrl as string);
process.stdout.write('started\n');
const { applied } = await migrate(db, {
  async beforeCommit(name) {
    if (!pauseAt || !name.endsWith(pauseAt)) return;
    process.stdout.write(`paused in ${name}\n`);
    await new Promise(() => setInterval(() => {}, 60_000));
  },
});
process.stdout.write(`applied ${applied.length}\n`);
await db.close();
