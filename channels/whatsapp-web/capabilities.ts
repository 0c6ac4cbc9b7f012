import type { ChannelCapabilities } from '../../src/core/channel.ts';

export const webCapabilities: ChannelCapabilities = {
  addressKind: 'phone',
  maxTextLength: 65536,
  // WhatsApp Web no longer renders buttons or lists sent by linked devices: numbered text instead.
  buttons: null,
  list: null,
  richText: 'markdown',
  media: true,
  // A linked phone is not a bulk sender: stay well below what gets numbers banned.
  rateLimits: { perChannel: { count: 20, perMs: 60_000 }, perRecipient: { count: 6, perMs: 60_000 } },
};
