import { channels } from '../../channels/index.ts';
import { channelStatus } from '../core/channel.ts';
import { plugins } from '../plugins.ts';

/** `parley channels`: in a module of its own, so listing them loads the definitions and not the database or the runtime. */
export function channelsCommand(): void {
  const env = process.env;
  // From the settings alone: no channel's SDK is loaded.
  for (const definition of channels) {
    const status = channelStatus(definition, env);
    process.stdout.write(`${definition.name.padEnd(12)} ${status.state === 'on' ? 'on' : `${status.state} — ${status.detail}`}\n`);
  }
  for (const definition of plugins) {
    let state: string;
    try {
      const created = definition.create(env);
      state = 'off' in created ? `off — ${created.off}` : 'on';
    } catch (error) {
      state = `misconfigured — ${(error as Error).message}`;
    }
    process.stdout.write(`${definition.name.padEnd(12)} ${state}\n`);
  }
}
