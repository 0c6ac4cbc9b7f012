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
  rateLimits: { perChannel: { count: 80, perMs: 1000 }, perRecipient: { count: 10, perMs: 60_000 } },
};
