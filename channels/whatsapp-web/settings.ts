import { z } from 'zod';
import { flag, setting } from '../../src/core/settings.ts';

export const whatsappWebSettings = z.object({
  WHATSAPP_WEB_ENABLED: setting(flag(), {
    description: 'true turns WhatsApp Web on; pair by scanning the QR code printed at start (or GET /webhooks/whatsapp-web/qr.png with the API token).',
    default: 'false',
    example: 'true',
  }),
  WHATSAPP_WEB_CHROMIUM: setting(z.string().min(1), {
    description: 'Path of the Chromium executable (never downloaded).',
    default: '/usr/bin/chromium',
    example: '/usr/bin/chromium-browser',
  }),
  WHATSAPP_WEB_GROUPS: setting(flag(), {
    description: 'true: messages in groups are taken in too (replies go to the writer directly).',
    default: 'false',
    example: 'true',
  }),
  WHATSAPP_WEB_STATUS: setting(flag(), { description: 'true: status broadcasts are taken in too.', default: 'false', example: 'true' }),
});
export type WhatsAppWebSettings = z.output<typeof whatsappWebSettings>;
