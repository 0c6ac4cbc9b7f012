import { z } from 'zod';
import { type ChannelAdapter, type ChannelCapabilities, type ChannelContext, defineChannel, type SendResult } from '../../src/core/channel.ts';
import type { OutboundMessage } from '../../src/core/message.ts';
import { renderAsText } from '../../src/core/render.ts';

const capabilities: ChannelCapabilities = {
  addressKind: 'opaque',
  maxTextLength: 4096,
  buttons: null,
  list: null,
  richText: 'none',
  media: false,
  rateLimits: {},
};

/**
 * A terminal as a channel: `parley chat` feeds stdin lines through the real pipeline and
 * prints replies as the customer would read them on the channel it stands in for.
 */
export class ConsoleAdapter implements ChannelAdapter {
  #context: ChannelContext | undefined;

  constructor(
    readonly name: string,
    readonly capabilities: ChannelCapabilities,
    private readonly print: (text: string, message: OutboundMessage) => void,
  ) {}

  async start(context: ChannelContext): Promise<void> {
    this.#context = context;
  }

  async stop(): Promise<void> {
    this.#context = undefined;
  }

  async send(message: OutboundMessage): Promise<SendResult> {
    this.print(renderAsText(message.content), message);
    const externalId = `console-${message.messageId}`;
    // Printed is delivered; reported after the send is recorded, as real providers do.
    setImmediate(() => void this.#context?.reportStatus({ externalId, status: 'delivered' }).catch(() => {}));
    return { externalId };
  }

  health() {
    return { ready: true, detail: 'terminal' };
  }
}

export const consoleChannel = defineChannel({
  name: 'console',
  description: 'A terminal chat for trying Parley without credentials.',
  capabilities,
  settings: z.object({}),
  off: () => 'runs inside `parley chat --from <address>`; nothing to configure',
  // Never on by settings; `parley chat` builds its own ConsoleAdapter. Loaded directly, it prints to stdout.
  load: async () => ({ create: () => new ConsoleAdapter('console', capabilities, (text) => void process.stdout.write(`${text}\n`)) }),
});
