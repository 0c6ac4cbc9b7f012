import type { ChannelCapabilities } from '../../src/core/channel.ts';

export const smsCapabilities: ChannelCapabilities = {
  addressKind: 'phone',
  // Twilio's limit for one message body; segments are limited separately (SMS_MAX_SEGMENTS).
  maxTextLength: 1600,
  buttons: null,
  list: null,
  richText: 'none',
  media: true,
  // A long code sends about one segment a second; short codes and messaging services more (PARLEY_RATE_LIMITS).
  rateLimits: { perChannel: { count: 1, perMs: 1000 } },
};
