import type { ChannelCapabilities } from '../../src/core/channel.ts';
import { LIMITS } from './outbound.ts';

export const cloudCapabilities: ChannelCapabilities = {
  addressKind: 'phone',
  maxTextLength: LIMITS.text,
  buttons: { max: LIMITS.buttons, maxTitleLength: LIMITS.buttonTitle },
  list: { maxRows: LIMITS.listRows, maxTitleLength: LIMITS.listTitle },
  richText: 'markdown',
  media: true,
  // Meta's default throughput is 80 messages/s per number; to one user it allows a burst, then about one every 6 s.
  // Free-form messages only within 24 h of the customer's last message; templates after that.
  // https://developers.facebook.com/docs/whatsapp/cloud-api/guides/send-messages#customer-service-windows
  serviceWindowMs: 24 * 60 * 60 * 1000,
  rateLimits: { perChannel: { count: 80, perMs: 1000 }, perRecipient: { count: 10, perMs: 60_000 } },
};
