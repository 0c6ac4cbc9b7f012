import type { ChannelDefinition } from '../src/core/channel.ts';
import { consoleChannel } from './console/index.ts';
import { emailChannel } from './email/index.ts';

/** Every channel Parley knows. A new channel is one folder and one line here. */
export const channels: readonly ChannelDefinition[] = [consoleChannel, emailChannel];
