import type { ChannelCapabilities } from '../../src/core/channel.ts';

export const emailCapabilities: ChannelCapabilities = {
  addressKind: 'email',
  maxTextLength: 100_000,
  buttons: null,
  list: null,
  richText: 'html',
  media: true,
  rateLimits: {},
};
