import type { ChannelFactory } from '../../src/core/channel.ts';
import { WebchatAdapter } from './adapter.ts';
import { toWebchatSettings, type WebchatEnv } from './settings.ts';

/** The website chat adapter from its settings (loaded only when the channel is on). */
export const create: ChannelFactory<WebchatEnv> = (settings, env) => new WebchatAdapter(toWebchatSettings(settings, env));
