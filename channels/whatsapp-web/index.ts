import { defineChannel } from '../../src/core/channel.ts';
import { webCapabilities } from './capabilities.ts';
import { whatsappWebSettings } from './settings.ts';

export const whatsappWebChannel = defineChannel({
  name: 'whatsapp-web',
  description: 'WhatsApp through a linked phone (whatsapp-web.js and the system Chromium).',
  capabilities: webCapabilities,
  settings: whatsappWebSettings,
  off: (settings) =>
    settings.WHATSAPP_WEB_ENABLED
      ? undefined
      : 'set WHATSAPP_WEB_ENABLED=true to link a phone (and WHATSAPP_WEB_CHROMIUM if Chromium is not /usr/bin/chromium)',
  load: () => import('./create.ts'),
});
