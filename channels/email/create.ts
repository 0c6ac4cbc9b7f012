import type { ChannelFactory } from '../../src/core/channel.ts';
import { EmailAdapter } from './adapter.ts';
import { emailConfig } from './config.ts';
import type { EmailSettings } from './settings.ts';

/** The email adapter (loaded only when the channel is on: it imports imapflow, nodemailer and mailparser). */
export const create: ChannelFactory<EmailSettings> = (settings) => {
  const config = emailConfig(settings);
  if (!config) throw new Error('no mailbox is configured');
  return new EmailAdapter(config);
};
