import type { ChannelContext } from '../../src/core/channel.ts';
import type { Attachment, InboundMessage } from '../../src/core/message.ts';
import type { EmailContinuity } from './email-continuity.ts';
import type { WebchatFiles } from './files.ts';
import type { Hub } from './hub.ts';
import type { Visitor } from './identity.ts';
import type { WindowLimiter } from './limits.ts';
import type { ClientFrame, Entry, ServerFrame } from './protocol.ts';
import { fileTypeAllowed, type WebchatSettings } from './settings.ts';
import type { Transcripts } from './transcript.ts';

export interface ServiceDeps {
  readonly context: ChannelContext;
  readonly settings: WebchatSettings;
  readonly transcripts: Transcripts;
  readonly hub: Hub;
  readonly files: WebchatFiles;
  readonly emailContinuity: EmailContinuity;
  readonly visitorMessages: WindowLimiter;
  readonly ipMessages: WindowLimiter;
  readonly now: () => Date;
}

const kindOf = (mimeType: string): Attachment['kind'] =>
  mimeType.startsWith('image/') ? 'image' : mimeType.startsWith('audio/') ? 'audio' : mimeType.startsWith('video/') ? 'video' : 'document';

/** What a visitor's page asks, answered the same whether it came over the WebSocket or HTTP. */
export class WebchatService {
  constructor(private readonly deps: ServiceDeps) {}

  async handle(visitor: Visitor, ip: string, frame: ClientFrame): Promise<ServerFrame[]> {
    switch (frame.type) {
      case 'message':
        return [await this.#message(visitor, ip, frame)];
      case 'resume':
        return [{ type: 'entries', entries: await this.deps.transcripts.after(visitor.address, frame.after) }];
      case 'received':
      case 'read':
        await this.#report(visitor, frame.type === 'received' ? 'delivered' : 'read', frame.after, frame.upTo);
        return [];
      case 'ping':
        return [{ type: 'pong' }];
    }
  }

  async #message(visitor: Visitor, ip: string, frame: Extract<ClientFrame, { type: 'message' }>): Promise<ServerFrame> {
    const { settings, transcripts, context } = this.deps;
    const refuse = (code: string, message: string, retryAfterMs?: number): ServerFrame => ({
      type: 'error',
      clientId: frame.clientId,
      code,
      message,
      retryAfterMs,
    });
    // A resend of a message already stored is acknowledged again, not counted or stored twice.
    const known = (await transcripts.read(visitor.address)).entries.find((e) => e.clientId === frame.clientId);
    if (known) return { type: 'ack', clientId: frame.clientId, seq: known.seq };
    if (!frame.text && !frame.reply && !frame.file) return refuse('empty', 'a message needs text, a tapped reply or a file');
    if (frame.text && frame.text.length > settings.maxText)
      return refuse('too_long', `the message has ${frame.text.length} characters; at most ${settings.maxText} are accepted`);
    let attachment: Attachment | undefined;
    if (frame.file) {
      const fileUrl = this.deps.files.fileUrlOf(frame.file.ref);
      if (!fileUrl) return refuse('bad_file', 'the file reference is not one this server gave out');
      if (!fileTypeAllowed(settings.fileTypes, frame.file.mimeType)) return refuse('file_type', `files of type ${frame.file.mimeType} are not accepted`);
      attachment = { kind: kindOf(frame.file.mimeType), url: fileUrl, mimeType: frame.file.mimeType, fileName: frame.file.name, size: frame.file.size };
    }
    const wait = Math.max(this.deps.visitorMessages.take(visitor.visitorId), this.deps.ipMessages.take(ip));
    if (wait > 0) return refuse('rate_limited', 'too many messages; wait a moment', wait);

    const inbound: InboundMessage = {
      channel: 'webchat',
      externalId: `${visitor.visitorId}:${frame.clientId}`,
      sender: { address: visitor.address, addressKind: visitor.addressKind, displayName: visitor.name },
      sentAt: this.deps.now().toISOString(),
      text: frame.text,
      interactiveReply: frame.reply,
      attachments: attachment ? [attachment] : [],
      team: settings.team,
      metadata: { visitorId: visitor.visitorId, verified: visitor.verified, ...(visitor.contact ? { contact: visitor.contact } : {}) },
      raw: frame,
    };
    // Stored durably before the page hears "ack": the page keeps the message until then.
    await context.receive(inbound);
    const email = visitor.addressKind === 'email' ? visitor.address : visitor.contact?.email;
    if (email) await this.deps.emailContinuity.remember(visitor.address, email);
    const { entry, added } = await transcripts.append(visitor.address, {
      from: 'visitor',
      at: this.deps.now().toISOString(),
      clientId: frame.clientId,
      text: frame.text ?? frame.reply?.title ?? frame.reply?.id,
      attachments: attachment ? [{ kind: attachment.kind, url: frame.file?.ref, name: attachment.fileName, mimeType: attachment.mimeType }] : undefined,
    });
    if (added) this.deps.hub.publish(visitor.address, [entry]);
    return { type: 'ack', clientId: frame.clientId, seq: entry.seq };
  }

  async #report(visitor: Visitor, status: 'delivered' | 'read', after: number, upTo: number): Promise<void> {
    const entries = await this.deps.transcripts.after(visitor.address, after);
    const replies = entries.filter((e: Entry) => e.seq <= upTo && e.messageId !== undefined);
    if (replies.length > 0) await this.deps.emailContinuity.seen(visitor.address, Math.max(...replies.map((e) => e.seq)));
    for (const reply of replies) await this.deps.context.reportStatus({ externalId: reply.messageId as string, status, at: this.deps.now() });
  }
}
