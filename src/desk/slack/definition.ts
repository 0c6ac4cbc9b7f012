import type { ChannelHealth } from '../../core/channel.ts';
import type { ParleyPlugin, PluginDefinition } from '../../core/plugin.ts';
import type { Parley } from '../../runtime.ts';
import type { SlackDesk } from './plugin.ts';
import { readSlackConfig, type SlackConfig, slackSettings } from './settings.ts';

/**
 * The Slack desk as Parley starts it: Bolt and the Slack SDKs (a few hundred modules) load
 * when the desk starts or is checked, so a Parley without Slack, and every command that only
 * reads the settings, never loads them.
 */
class SlackDeskOnDemand implements ParleyPlugin {
  readonly name = 'slack';
  #desk: Promise<SlackDesk> | undefined;
  #started: SlackDesk | undefined;

  constructor(readonly config: SlackConfig) {}

  #load(): Promise<SlackDesk> {
    this.#desk ??= import('./plugin.ts').then(({ SlackDesk }) => new SlackDesk(this.config));
    return this.#desk;
  }

  async start(parley: Parley): Promise<void> {
    const desk = await this.#load();
    this.#started = desk;
    await desk.start(parley);
  }

  async stop(): Promise<void> {
    await this.#started?.stop();
  }

  health(): ChannelHealth {
    return this.#started?.health() ?? { ready: false, detail: 'not started' };
  }

  async verify(): Promise<string> {
    return (await this.#load()).verify();
  }
}

export const slackDesk: PluginDefinition = {
  name: 'slack',
  description: 'The Slack agent desk: a thread per conversation in the team channel; replies go back on the customer channel.',
  settings: slackSettings,
  create(env) {
    const config = readSlackConfig(env);
    return 'off' in config ? config : new SlackDeskOnDemand(config);
  },
};
