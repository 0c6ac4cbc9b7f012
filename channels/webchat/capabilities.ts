import type { ChannelCapabilities } from '../../src/core/channel.ts';

export const webchatCapabilities: ChannelCapabilities = {
  addressKind: 'opaque',
  maxTextLength: 4096,
  buttons: { max: 10, maxTitleLength: 60 },
  list: { maxRows: 30, maxTitleLength: 60 },
  richText: 'none',
  media: true,
  rateLimits: {},
};
