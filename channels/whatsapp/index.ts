import { defineChannel } from '../../src/core/channel.ts';
import { cloudCapabilities } from './capabilities.ts';
import { whatsappSettings } from './settings.ts';

const REQUIRED = ['WHATSAPP_ACCESS_TOKEN', 'WHATSAPP_PHONE_NUMBER_ID', 'WHATSAPP_APP_SECRET', 'WHATSAPP_VERIFY_TOKEN'] as const;

export const whatsappChannel = defineChannel({
  name: 'whatsapp',
  description: "WhatsApp through Meta's Cloud API (webhooks at /webhooks/whatsapp).",
  capabilities: cloudCapabilities,
  settings: whatsappSettings,
  off: (settings) => {
    const missing = REQUIRED.filter((name) => settings[name] === undefined);
    return missing.length > 0 ? `set ${missing.join(', ')} to turn the WhatsApp Cloud API on` : undefined;
  },
  load: () => import('./create.ts'),
});
