import type { ChannelDefinition } from '../../src/core/channel.ts';
import { WebchatAdapter, webchatCapabilities } from './adapter.ts';
import { readWebchatSettings, webchatSettingList } from './settings.ts';

export const webchatChannel: ChannelDefinition = {
  name: 'webchat',
  description: 'Website chat: a widget for your site (<script src="/webchat/widget.js">), WebSocket with long-poll fallback.',
  capabilities: webchatCapabilities,
  settings: webchatSettingList,
  create(env) {
    if (env.WEBCHAT_ENABLED === 'false') return { off: 'WEBCHAT_ENABLED=false; unset it to turn the website chat on' };
    try {
      return new WebchatAdapter(readWebchatSettings(env));
    } catch (error) {
      return { off: `configuration is not valid: ${(error as Error).message}` };
    }
  },
};
