import type { Command } from 'commander';
import { Parley } from '../runtime.ts';
import { buildServer } from '../server/app.ts';
import { plugins } from '../plugins.ts';
import { action, channels, cliConfig, cliLogger } from './context.ts';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('Run Parley: migrate the database, start the configured channels, the workers and the HTTP server')
    .action(
      action(async () => {
        const config = cliConfig();
        const logger = cliLogger(config);
        const parley = await Parley.open({ config, logger, channels, plugins });
        logger.info({ database: parley.db.displayUrl }, 'database ready');
        await parley.start();
        for (const channel of parley.channelStates()) {
          if (channel.state === 'on') logger.info(`channel ${channel.name}: on (${channel.detail})`);
          else logger.info(`channel ${channel.name}: ${channel.state} — ${channel.detail}`);
        }
        for (const plugin of parley.pluginStates()) logger.info(`${plugin.name}: ${plugin.state} — ${plugin.detail}`);
        const server = await buildServer(parley);
        const address = await server.listen({ host: config.HOST, port: config.PORT });
        logger.info(`Parley is listening on ${address} (health: ${address}/healthz, API: ${address}/api/v1)`);
        if (!config.PARLEY_API_TOKEN) logger.info('the REST API is off: set PARLEY_API_TOKEN to turn it on');
        let stopping = false;
        const shutdown = async (signal: string) => {
          if (stopping) return;
          stopping = true;
          logger.info({ signal }, 'shutting down: finishing work in flight');
          await server.close();
          await parley.stop();
          process.exit(0);
        };
        process.on('SIGINT', () => void shutdown('SIGINT'));
        process.on('SIGTERM', () => void shutdown('SIGTERM'));
      }),
    );
}
