import { migrate } from '../db/migrate.ts';
import { plugins } from '../plugins.ts';
import { Parley } from '../runtime.ts';
import { buildServer } from '../server/app.ts';
import { channels } from '../../channels/index.ts';
import { cliConfig, cliLogger } from './context.ts';
import { openReachableDatabase } from './database-check.ts';
import { version } from '../version.ts';
import { startSummary } from './start-summary.ts';

/**
 * Connections the kernel holds for Parley while its event loop is busy. Node's default (511)
 * overflowed under a burst (PostgreSQL, 1,000 webhooks/s: 512 waiting, 2,406 SYNs dropped), and
 * a dropped SYN is retried by the sender after 1 s, then 3 s: acknowledgements took seconds.
 * Linux caps it at net.core.somaxconn (4,096 by default since 5.4).
 */
const LISTEN_BACKLOG = 4096;

/** `parley start`: migrate, open, start the channels and workers, listen; stop cleanly on SIGINT/SIGTERM. */
export async function startCommand(): Promise<void> {
  const config = cliConfig();
  const logger = cliLogger(config);
  const db = await openReachableDatabase(config.DATABASE_URL);
  const { applied } = await migrate(db);
  if (applied.length > 0) {
    logger.info(`database migrated: ${applied.length} migration${applied.length === 1 ? '' : 's'} applied, latest ${applied.at(-1)}`);
    logger.debug({ applied }, 'migrations applied');
  }
  const parley = await Parley.open({ config, logger, channels, plugins, database: db });
  const stop = async () => {
    await parley.stop();
    await db.close();
  };
  let server;
  let url: string;
  try {
    await parley.start();
    server = await buildServer(parley);
    url = await server.listen({ host: config.HOST, port: config.PORT, backlog: LISTEN_BACKLOG });
  } catch (error) {
    await server?.close();
    await stop();
    throw error;
  }
  logger.info(
    startSummary({
      version,
      database: db.displayUrl,
      url,
      config,
      channels: parley.channelStates(),
      desks: parley.pluginStates(),
      flows: parley.flows.all().length,
      unattended: await parley.unattended.count(),
    }),
  );
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing work in flight');
    await server.close();
    await stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}
