import { defineChannel } from '../../src/core/channel.ts';
import { emailCapabilities } from './capabilities.ts';
import { emailConfig } from './config.ts';
import { emailSettings } from './settings.ts';

export const emailChannel = defineChannel({
  name: 'email',
  description: 'Email over IMAP (in) and SMTP (out), one or more support mailboxes, each tied to a team.',
  capabilities: emailCapabilities,
  settings: emailSettings,
  off: (settings) => {
    try {
      if (emailConfig(settings)) return undefined;
    } catch (error) {
      return `configuration is not valid: ${(error as Error).message}`;
    }
    return 'set EMAIL_IMAP_URL, EMAIL_SMTP_URL and EMAIL_ADDRESS (one mailbox) or EMAIL_MAILBOXES (several) to turn it on';
  },
  load: () => import('./create.ts'),
});
