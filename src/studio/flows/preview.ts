import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Config } from '../../config.ts';
import type { ChannelCapabilities } from '../../core/channel.ts';
import { UserError } from '../../core/errors.ts';
import type { OutboundMessage } from '../../core/message.ts';
import { countSegments, type SegmentCount } from '../../core/sms-segments.ts';
import { simulateFlow, type SimulationOutcome } from '../../flows/simulator.ts';

export const PREVIEW_CHANNELS = ['whatsapp', 'sms', 'email'] as const;

export const PreviewRequest = z
  .object({
    /** The YAML to run; default the flow's draft, else its live file. */
    yaml: z.string().optional(),
    locale: z.string().regex(/^[a-z]{2,3}$/, 'a language code such as en, fa, ar'),
    channel: z.enum(PREVIEW_CHANNELS),
    /** The customer's answers so far, in order: the preview runs the flow through them. */
    answers: z.array(z.string().max(4000)).max(50).default([]),
    /** What one SMS segment costs at the provider, to price each message. */
    smsPricePerSegment: z.number().min(0).optional(),
  })
  .strict();
export type PreviewRequest = z.infer<typeof PreviewRequest>;

export interface PreviewMessage {
  readonly text: string;
  readonly buttons?: string[];
  readonly list?: { button: string; rows: string[] };
  readonly subject?: string;
  readonly sms?: SegmentCount & { cost?: number };
}

export interface PreviewDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly capabilitiesOf: (channel: string) => ChannelCapabilities | undefined;
}

/**
 * Runs a flow through the real interpreter and pipeline in a scratch database (the
 * simulator), as `channel` would show it, with the customer's answers typed so far. Webhook
 * steps are not called (they answer 200 {} and are listed); nothing reaches a customer.
 */
export async function previewFlow(
  deps: PreviewDeps,
  flow: { id: string; file: string; yaml: string; dir: string | undefined },
  request: PreviewRequest,
): Promise<{ transcript: ({ from: 'bot'; message: PreviewMessage } | { from: 'customer'; text: string })[]; webhooks: string[]; outcome: SimulationOutcome }> {
  const capabilities = deps.capabilitiesOf(request.channel);
  if (!capabilities) throw new UserError(`no channel "${request.channel}" to preview as`);
  const scratch = mkdtempSync(join(tmpdir(), 'parley-studio-preview-'));
  try {
    // The other flows too: a start_flow step finds its flow.
    for (const name of flow.dir ? readdirSync(flow.dir).filter((n) => /\.ya?ml$/i.test(n)) : [])
      copyFileSync(join(flow.dir as string, name), join(scratch, name));
    writeFileSync(join(scratch, basename(flow.file)), flow.yaml);
    const transcript: ({ from: 'bot'; message: PreviewMessage } | { from: 'customer'; text: string })[] = [];
    const webhooks: string[] = [];
    async function* answers() {
      for (const text of request.answers) {
        transcript.push({ from: 'customer', text });
        yield text;
      }
    }
    const outcome = await simulateFlow(
      {
        config: deps.config,
        logger: deps.logger,
        channels: [],
        dir: scratch,
        flowId: flow.id,
        locale: request.locale,
        channel: request.channel,
        capabilities,
        onWebhook: (method, url) => webhooks.push(`${method} ${url}`),
        print: (_shown, message) => transcript.push({ from: 'bot', message: asShown(message, request) }),
      },
      answers(),
    );
    return { transcript, webhooks, outcome };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function asShown(message: OutboundMessage, request: PreviewRequest): PreviewMessage {
  const { content } = message;
  const text = content.text ?? '';
  const shown: PreviewMessage = {
    text,
    ...(content.buttons ? { buttons: content.buttons.map((b) => b.title) } : {}),
    ...(content.list ? { list: { button: content.list.button, rows: content.list.sections.flatMap((s) => s.rows.map((r) => r.title)) } } : {}),
    ...(message.subject ? { subject: message.subject } : {}),
  };
  if (request.channel !== 'sms') return shown;
  const count = countSegments(text);
  const price = request.smsPricePerSegment;
  return { ...shown, sms: { ...count, ...(price === undefined ? {} : { cost: Math.round(count.segments * price * 1e6) / 1e6 }) } };
}
