import type { ChannelFactory } from '../../src/core/channel.ts';
import { WhatsAppWebAdapter } from './adapter.ts';
import { createRealClient } from './client.ts';
import type { WhatsAppWebSettings } from './settings.ts';

/** The WhatsApp Web adapter (whatsapp-web.js itself is imported when the client is first built). */
export const create: ChannelFactory<WhatsAppWebSettings> = (settings, env) =>
  new WhatsAppWebAdapter({
    createClient: (dataDir) => createRealClient({ dataDir, chromiumPath: settings.WHATSAPP_WEB_CHROMIUM }),
    apiToken: env.PARLEY_API_TOKEN || undefined,
    groups: settings.WHATSAPP_WEB_GROUPS,
    statusBroadcasts: settings.WHATSAPP_WEB_STATUS,
    reconnectDelaysMs: [5_000, 15_000, 60_000],
    printQr: (text) => process.stdout.write(`\nScan with WhatsApp (Settings > Linked devices):\n${text}\n`),
  });
