import { createInterface } from 'node:readline';
import { ConsoleAdapter, consoleChannel } from '../../channels/console/index.ts';
import type { AddressKind } from '../core/address.ts';
import { normalizeAddress } from '../core/address.ts';
import { parseDuration } from '../core/duration.ts';
import { UserError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { inboundLaneKey } from '../pipeline/inbox.ts';
import { outboundLaneKey } from '../pipeline/outbound.ts';
import { Parley } from '../runtime.ts';
import { channels } from '../../channels/index.ts';
import { cliConfig, cliLogger, userInput } from './context.ts';

function guessKind(address: string): AddressKind {
  if (address.includes('@')) return 'email';
  if (/^[+0-9۰-۹٠-٩][\s\-().0-9۰-۹٠-٩]{5,}$/.test(address.trim())) return 'phone';
  return 'opaque';
}

export interface ChatOptions {
  readonly from: string;
  readonly channel: string;
  readonly name?: string;
  readonly timeout: string;
}

/** `parley chat`: each stdin line goes through the real pipeline as this customer; their replies are printed. */
export async function chatCommand(options: ChatOptions): Promise<void> {
  const config = cliConfig();
  const timeoutMs = userInput('--timeout', () => parseDuration(options.timeout));
  const logger = cliLogger(config, { fd: 2, level: process.env.LOG_LEVEL ?? 'warn' });
  const definition = channels.find((c) => c.name === options.channel);
  const capabilities = definition?.capabilities ?? consoleChannel.capabilities;
  // The console stands for no real channel: the address says what it is.
  const addressKind = definition && definition !== consoleChannel ? capabilities.addressKind : guessKind(options.from);
  let address: string;
  try {
    address = normalizeAddress(addressKind, options.from, config.PARLEY_DEFAULT_REGION);
  } catch (error) {
    throw new UserError(`--from: ${(error as Error).message}`);
  }
  const interactive = Boolean(process.stdin.isTTY);
  const adapter = new ConsoleAdapter(options.channel, capabilities, (text) => {
    process.stdout.write(interactive ? `\n${text}\n> ` : `${text}\n`);
  });
  const lanes = {
    inLane: inboundLaneKey(options.channel, addressKind, address, config.PARLEY_DEFAULT_REGION),
    outLane: outboundLaneKey(options.channel, address),
  };
  // Only this customer's replies: those to other customers (another chat, a real channel)
  // are theirs to send; printed here they would count as sent and never reach them.
  const parley = await Parley.open({ config, logger, channels, adapters: [adapter], outboundLanes: [lanes.outLane] });
  await parley.start();
  if (interactive) process.stdout.write(`Chatting as ${address} on ${options.channel}. Ctrl-D to end.\n> `);
  const lines = createInterface({ input: process.stdin, terminal: false });
  for await (const line of lines) {
    if (!line.trim()) continue;
    await parley.inbox.accept({
      channel: options.channel,
      externalId: `console-${newId()}`,
      sender: { address, addressKind, displayName: options.name },
      text: line,
      raw: { line },
    });
  }
  await waitForReplies(parley, { ...lanes, timeoutMs });
  await parley.stop();
}

/** Waits until every line is handled and every reply to this customer is sent. */
async function waitForReplies(parley: Parley, lanes: { inLane: string; outLane: string; timeoutMs: number }): Promise<void> {
  const deadline = Date.now() + lanes.timeoutMs;
  while (Date.now() < deadline) {
    const [inbound, outbound] = await Promise.all([parley.processor.pendingCount([lanes.inLane]), parley.dispatcher.unsentCount({ lanes: [lanes.outLane] })]);
    if (inbound === 0 && outbound === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  process.stderr.write(`parley: gave up waiting for replies after ${lanes.timeoutMs / 1000}s; they stay queued\n`);
}
