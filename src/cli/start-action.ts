import { migrate } from '../db/migrate.ts';
import { plugins } from '../plugins.ts';
import { Parley } from '../runtime.ts';
import { buildServer } from '../server/app.ts';
import { channels } from '../../channels/index.ts';
import { cliConfig, cliLogger } from './context.ts';
import { openReachableDatabase } from './database-check.ts';
import { version } from '../version.ts';
import { startSummary } from './start-summary.ts';

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
    url = await server.listen({ host: config.HOST, port: config.PORT });
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
