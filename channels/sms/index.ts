import { defineChannel } from '../../src/core/channel.ts';
import { smsCapabilities } from './capabilities.ts';
import { smsSettings } from './settings.ts';

const REQUIRED = ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM'] as const;

export const smsChannel = defineChannel({
  name: 'sms',
  description: 'SMS and MMS through Twilio (providers are pluggable: channels/sms/providers/).',
  capabilities: smsCapabilities,
  settings: smsSettings,
  off: (settings) => {
    const missing = REQUIRED.filter((name) => settings[name] === undefined);
    return missing.length > 0 ? `set ${missing.join(', ')} to turn SMS on (Twilio)` : undefined;
  },
  load: () => import('./create.ts'),
});
