import { defineChannel } from '../../src/core/channel.ts';
import { webchatCapabilities } from './capabilities.ts';
import { webchatSettings } from './settings.ts';

export const webchatChannel = defineChannel({
  name: 'webchat',
  description: 'Website chat: a widget for your site (<script src="/webchat/widget.js">), WebSocket with long-poll fallback.',
  capabilities: webchatCapabilities,
  settings: webchatSettings,
  off: (settings) => (settings.WEBCHAT_ENABLED ? undefined : 'WEBCHAT_ENABLED=false; unset it to turn the website chat on'),
  load: () => import('./create.ts'),
});
