import type { ChannelDefinition } from '../src/core/channel.ts';
import { consoleChannel } from './console/index.ts';
import { emailChannel } from './email/index.ts';
import { smsChannel } from './sms/index.ts';
import { webchatChannel } from './webchat/index.ts';
import { whatsappChannel } from './whatsapp/index.ts';
import { whatsappWebChannel } from './whatsapp-web/index.ts';

/** Every channel Parley knows. A new channel is one folder and one line here. */
export const channels: readonly ChannelDefinition[] = [consoleChannel, whatsappChannel, whatsappWebChannel, smsChannel, emailChannel, webchatChannel];
