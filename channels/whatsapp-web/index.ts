import type { ChannelDefinition } from '../../src/core/channel.ts';
import { WhatsAppWebAdapter, webCapabilities } from './adapter.ts';
import { createRealClient } from './client.ts';

export const whatsappWebChannel: ChannelDefinition = {
  name: 'whatsapp-web',
  description: 'WhatsApp through a linked phone (whatsapp-web.js and the system Chromium).',
  capabilities: webCapabilities,
  settings: [
    {
      env: 'WHATSAPP_WEB_ENABLED',
      description: 'true turns WhatsApp Web on; pair by scanning the QR code printed at start (or GET /webhooks/whatsapp-web/qr.png with the API token).',
      default: 'false',
      example: 'true',
    },
    {
      env: 'WHATSAPP_WEB_CHROMIUM',
      description: 'Path of the Chromium executable (never downloaded).',
      default: '/usr/bin/chromium',
      example: '/usr/bin/chromium-browser',
    },
    {
      env: 'WHATSAPP_WEB_GROUPS',
      description: 'true: messages in groups are taken in too (replies go to the writer directly).',
      default: 'false',
      example: 'true',
    },
    { env: 'WHATSAPP_WEB_STATUS', description: 'true: status broadcasts are taken in too.', default: 'false', example: 'true' },
  ],
  create(env) {
    if (env.WHATSAPP_WEB_ENABLED !== 'true')
      return { off: 'set WHATSAPP_WEB_ENABLED=true to link a phone (and WHATSAPP_WEB_CHROMIUM if Chromium is not /usr/bin/chromium)' };
    return new WhatsAppWebAdapter({
      createClient: (dataDir) => createRealClient({ dataDir, chromiumPath: env.WHATSAPP_WEB_CHROMIUM || '/usr/bin/chromium' }),
      apiToken: env.PARLEY_API_TOKEN || undefined,
      groups: env.WHATSAPP_WEB_GROUPS === 'true',
      statusBroadcasts: env.WHATSAPP_WEB_STATUS === 'true',
      reconnectDelaysMs: [5_000, 15_000, 60_000],
      printQr: (text) => process.stdout.write(`\nScan with WhatsApp (Settings > Linked devices):\n${text}\n`),
    });
  },
};
