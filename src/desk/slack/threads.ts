import type { AgentText } from '../../agent-text/agent-text.ts';
import { readFile } from 'node:fs/promises';
import { storedMediaPath } from '../../core/media-store.ts';
import type { Logger } from 'pino';
import type { DomainEventOf } from '../../core/events.ts';
import { newId } from '../../core/ids.ts';
import { AttachmentSchema } from '../../core/message.ts';
import type { Database } from '../../db/database.ts';
import type { SlackThread } from '../../generated/sqlite/client.ts';
import { cardBlocks, CardMetadataSchema, cardMetadata, cardText, type HandoffInfo, HandoffInfoSchema, loadCardData } from './card.ts';
import { escapeMrkdwn } from './mrkdwn.ts';
import type { SlackPoster } from './poster.ts';
import { channelForTeam, type SlackConfig } from './settings.ts';
import { formatMessages, type TranscriptMessage, uploadable } from './transcript.ts';

/**
 * A conversation's life in Slack: the card (top-level message), the transcript and every later
 * message in its thread, status notices. Every step records what it posted before the next
 * one, so a job that is re-run after a crash or a 429 continues where it stopped.
 */
export class SlackThreads {
  /** Parent messages (channel:ts) Slack showed without a card's metadata. */
  readonly #notCards = new Set<string>();

  constructor(
    private readonly db: Database,
    private readonly poster: SlackPoster,
    private readonly config: SlackConfig,
    private readonly logger: Logger,
    /** PARLEY_DATA_DIR: attachments are read only from its media store. */
    private readonly dataDir: string,
    /** The agents' language for the card (PARLEY_AGENT_LOCALE). */
    private readonly text: AgentText,
  ) {}

  /** The conversation's current thread (a transfer opens a newer one). */
  async current(conversationId: string): Promise<SlackThread | null> {
    return this.db.prisma.slackThread.findFirst({ where: { conversationId }, orderBy: { id: 'desc' } });
  }

  async at(channelId: string, threadTs: string): Promise<SlackThread | null> {
    return this.db.prisma.slackThread.findUnique({ where: { channelId_threadTs: { channelId, threadTs } } });
  }

  /**
   * The thread of an agent's reply. Slack shows a card before chat.postMessage has answered
   * Parley, so a reply can come before its thread is recorded (or after the process died in
   * between): the card's metadata names its conversation, and the thread is recorded here. A
   * card older than the conversation's recorded thread was posted again since: `superseded`.
   */
  async forReply(channelId: string, threadTs: string): Promise<{ thread: SlackThread } | { superseded: SlackThread } | undefined> {
    const known = await this.at(channelId, threadTs);
    if (known) return { thread: known };
    const parentKey = `${channelId}:${threadTs}`;
    if (this.#notCards.has(parentKey)) return undefined;
    const card = CardMetadataSchema.safeParse((await this.poster.parentOf(channelId, threadTs))?.metadata);
    if (!card.success) {
      // A message without a card's metadata never becomes one: its threads (an alert's, say) are not asked about again.
      if (this.#notCards.size >= 1000) this.#notCards.clear();
      this.#notCards.add(parentKey);
      return undefined;
    }
    const conversationId = card.data.event_payload.conversation_id;
    const latest = await this.current(conversationId);
    if (latest && slackTsOrder(latest.threadTs, threadTs) > 0) return { superseded: latest };
    const conversation = await this.db.prisma.conversation.findUnique({ where: { id: conversationId }, include: { team: true } });
    if (!conversation) return undefined;
    // The hand-off job records the same thread with the hand-off's details when its post returns.
    const handoff = latest ? HandoffInfoSchema.parse(latest.handoff) : handoffOf(conversation);
    return { thread: await this.#record(conversationId, channelId, threadTs, handoff, 'keep') };
  }

  get teams(): string[] {
    return Object.keys(this.config.teamChannels);
  }

  /** Hand-off (or transfer): the card in the team's channel, then the transcript in its thread. */
  async handOff(event: DomainEventOf<'conversation.handed_off'>): Promise<void> {
    const conversation = await this.db.prisma.conversation.findUniqueOrThrow({ where: { id: event.conversationId }, include: { team: true } });
    const team = event.team ?? conversation.team?.name ?? null;
    const channel = channelForTeam(this.config, team);
    const existing = await this.current(event.conversationId);
    const previous = existing ? HandoffInfoSchema.parse(existing.handoff) : undefined;
    const handoff: HandoffInfo = {
      team,
      priority: event.priority,
      note: event.note ?? previous?.note,
      collected: { ...previous?.collected, ...event.collected },
    };
    let thread: SlackThread;
    if (existing?.channelId === channel) {
      thread = await this.db.run((c) => c.slackThread.update({ where: { id: existing.id }, data: { handoff } }));
      await this.refreshCard(event.conversationId);
    } else {
      thread = await this.#openThread(event.conversationId, channel, handoff);
    }
    await this.#settle(thread);
  }

  /** A thread for a conversation that reached the desk without one (e.g. Slack was turned on later). */
  async ensure(conversationId: string): Promise<SlackThread> {
    const existing = await this.current(conversationId);
    if (existing) return existing;
    const conversation = await this.db.prisma.conversation.findUniqueOrThrow({ where: { id: conversationId }, include: { team: true } });
    const handoff = handoffOf(conversation);
    const thread = await this.#openThread(conversationId, channelForTeam(this.config, handoff.team), handoff);
    await this.#settle(thread);
    return thread;
  }

  async #openThread(conversationId: string, channel: string, handoff: HandoffInfo): Promise<SlackThread> {
    const card = { ...(await loadCardData(this.db, conversationId, handoff)), previousThread: await this.#previousLink(conversationId) };
    const ts = await this.poster.post({
      channel,
      text: cardText(card, this.text),
      blocks: cardBlocks(card, this.teams, this.text),
      metadata: cardMetadata(conversationId),
    });
    return this.#record(conversationId, channel, ts, handoff, 'replace');
  }

  /** A card's thread, recorded once whether its post or an agent's reply in it comes first. */
  #record(conversationId: string, channelId: string, threadTs: string, handoff: HandoffInfo, existing: 'keep' | 'replace'): Promise<SlackThread> {
    return this.db.run((c) =>
      c.slackThread.upsert({
        where: { channelId_threadTs: { channelId, threadTs } },
        create: { id: newId(), conversationId, channelId, threadTs, handoff },
        update: existing === 'replace' ? { handoff } : {},
      }),
    );
  }

  /**
   * The steps after a card exists, each done once however often the job runs: links from the
   * thread it replaces (transfer) or continues (a returning customer), then the transcript.
   */
  async #settle(thread: SlackThread): Promise<void> {
    const [, before] = await this.db.prisma.slackThread.findMany({ where: { conversationId: thread.conversationId }, orderBy: { id: 'desc' }, take: 2 });
    if (before) {
      const team = HandoffInfoSchema.parse(thread.handoff).team;
      await this.notice(
        before,
        `:arrow_right: Transferred to *${escapeMrkdwn(team ?? 'the default team')}*: continued in ${await this.#linkTo(thread)}`,
        `transfer:${thread.id}`,
      );
    }
    const conversation = await this.db.prisma.conversation.findUniqueOrThrow({ where: { id: thread.conversationId }, select: { previousId: true } });
    const previousThread = conversation.previousId ? await this.current(conversation.previousId) : null;
    if (previousThread)
      await this.notice(previousThread, `:leftwards_arrow_with_hook: The customer came back: ${await this.#linkTo(thread)}`, `continued:${thread.id}`);
    const transcriptKey = `transcript:${thread.id}`;
    const fresh = !(await this.db.prisma.slackPost.findUnique({ where: { sourceKey: transcriptKey } }));
    await this.sync(thread.conversationId, fresh ? { heading: ':scroll: *Transcript so far*', condensed: true, all: true, transcriptKey } : {});
  }

  async #previousLink(conversationId: string): Promise<string | undefined> {
    const conversation = await this.db.prisma.conversation.findUniqueOrThrow({ where: { id: conversationId }, select: { previousId: true } });
    const previousThread = conversation.previousId ? await this.current(conversation.previousId) : null;
    return previousThread ? this.poster.permalink(previousThread.channelId, previousThread.threadTs) : undefined;
  }

  async #linkTo(thread: SlackThread): Promise<string> {
    const url = await this.poster.permalink(thread.channelId, thread.threadTs);
    return url ? `<${url}|the new thread>` : 'a new thread';
  }

  /** Redraws the card in place (status, assignee, waiting time, snooze). */
  async refreshCard(conversationId: string): Promise<void> {
    const thread = await this.current(conversationId);
    if (!thread) return;
    const card = {
      ...(await loadCardData(this.db, conversationId, HandoffInfoSchema.parse(thread.handoff))),
      previousThread: await this.#previousLink(conversationId),
    };
    await this.poster.update({
      channel: thread.channelId,
      ts: thread.threadTs,
      text: cardText(card, this.text),
      blocks: cardBlocks(card, this.teams, this.text),
    });
  }

  /** A status line in the thread, posted once per `key` however often the job runs. */
  async notice(threadOrConversation: SlackThread | string, text: string, key: string): Promise<void> {
    const thread = typeof threadOrConversation === 'string' ? await this.current(threadOrConversation) : threadOrConversation;
    if (!thread) return;
    const sourceKey = `notice:${key}`;
    if (await this.db.prisma.slackPost.findUnique({ where: { sourceKey } })) return;
    const ts = await this.poster.post({ channel: thread.channelId, thread_ts: thread.threadTs, text });
    await this.db.run((c) =>
      c.slackPost.create({ data: { id: newId(), conversationId: thread.conversationId, channelId: thread.channelId, ts, kind: 'notice', sourceKey } }),
    );
  }

  /**
   * Posts every message of the conversation not yet in Slack, in order, as few Slack messages
   * as fit (a burst becomes one post), then uploads their local attachments. `all` shows the
   * whole conversation (a new thread) while still recording only the unposted messages.
   */
  async sync(conversationId: string, options: { heading?: string; condensed?: boolean; all?: boolean; transcriptKey?: string } = {}): Promise<number> {
    const thread = await this.current(conversationId);
    if (!thread) return 0;
    const [messages, posts] = await Promise.all([
      this.db.prisma.message.findMany({ where: { conversationId }, orderBy: { id: 'asc' }, include: { agent: { select: { name: true } } } }),
      this.db.prisma.slackPost.findMany({ where: { conversationId }, select: { messageId: true, sourceKey: true } }),
    ]);
    const posted = new Set(posts.map((p) => p.messageId));
    // Keys of what was done already: uploads, transcript chunks.
    const uploaded = new Set(posts.map((p) => p.sourceKey));
    const conversation = await this.db.prisma.conversation.findUnique({
      where: { id: conversationId },
      select: { channel: true, customer: { select: { name: true } } },
    });
    const customer = conversation?.customer;
    const toShow = (m: (typeof messages)[number]): TranscriptMessage => ({
      id: m.id,
      authorKind: m.authorKind,
      authorName:
        m.authorKind === 'customer'
          ? (customer?.name ?? this.text.t('transcript.customer'))
          : m.authorKind === 'agent'
            ? (m.agent?.name ?? this.text.t('transcript.agent'))
            : m.authorKind === 'bot'
              ? this.text.t('transcript.bot')
              : 'Parley',
      text: m.text,
      attachments: AttachmentSchema.array().catch([]).parse(m.attachments),
      createdAt: m.createdAt,
      isInternalNote: m.isInternalNote,
      ...(conversation && m.channel !== conversation.channel ? { via: m.channel } : {}),
    });
    const unposted = messages.filter((m) => !posted.has(m.id));
    const shown = options.all ? messages.filter((m) => !posted.has(m.id) || !m.isInternalNote) : unposted;
    let count = 0;
    if (unposted.length > 0 || (options.all && shown.length > 0)) {
      const chunks = formatMessages(shown.map(toShow), this.text, { heading: options.heading, condensed: options.condensed });
      const unpostedIds = new Set(unposted.map((m) => m.id));
      for (const [index, chunk] of chunks.entries()) {
        const ids = chunk.messageIds.filter((id) => unpostedIds.has(id));
        // A transcript chunk is recorded by its own key, so a retry resumes after the last one posted.
        const chunkKey = options.transcriptKey ? `${options.transcriptKey}:${index}` : undefined;
        if ((ids.length === 0 && !options.all) || (chunkKey !== undefined && uploaded.has(chunkKey))) continue;
        const ts = await this.poster.post({ channel: thread.channelId, thread_ts: thread.threadTs, text: chunk.text });
        await this.db.write(async (tx) => {
          await tx.slackPost.createMany({
            data: ids.map((messageId) => ({ id: newId(), conversationId, messageId, channelId: thread.channelId, ts, kind: 'synced' })),
          });
          if (chunkKey)
            await tx.slackPost.create({ data: { id: newId(), conversationId, channelId: thread.channelId, ts, kind: 'transcript', sourceKey: chunkKey } });
        });
        count += ids.length;
      }
    }
    if (options.transcriptKey) {
      // Recorded before the uploads: a retry after a rate-limited upload does not repost the transcript.
      const sourceKey = options.transcriptKey;
      await this.db.run((c) =>
        c.slackPost.create({ data: { id: newId(), conversationId, channelId: thread.channelId, ts: thread.threadTs, kind: 'transcript', sourceKey } }),
      );
    }
    await this.#uploadAttachments(thread, messages.filter((m) => m.direction === 'inbound').map(toShow), uploaded);
    if (count > 0) this.logger.debug({ conversationId, messages: count }, 'slack: thread synced');
    return count;
  }

  /** Local attachments (file: URLs) of customer messages become Slack files in the thread. */
  async #uploadAttachments(thread: SlackThread, messages: TranscriptMessage[], done: Set<string | null>): Promise<void> {
    for (const m of messages) {
      for (const [index, attachment] of m.attachments.entries()) {
        const sourceKey = `upload:${m.id}:${index}`;
        if (!uploadable(attachment) || done.has(sourceKey)) continue;
        const filename = attachment.fileName ?? `attachment-${index + 1}`;
        let file: Buffer | undefined;
        const path = storedMediaPath(this.dataDir, attachment.url);
        if (!path) {
          this.logger.warn({ messageId: m.id, index }, 'slack: attachment is not a file in the media store; not uploaded');
        } else {
          try {
            file = await readFile(path);
          } catch (error) {
            this.logger.warn({ err: error, messageId: m.id }, 'slack: attachment file is gone; not uploaded');
          }
        }
        if (file) await this.poster.upload({ channel: thread.channelId, thread_ts: thread.threadTs, filename, file, title: attachment.caption ?? filename });
        await this.db.run((c) =>
          c.slackPost.create({
            data: { id: newId(), conversationId: thread.conversationId, channelId: thread.channelId, ts: thread.threadTs, kind: 'upload', sourceKey },
          }),
        );
      }
    }
  }
}

/** What the card of a conversation that reached the desk without a hand-off shows: its team and priority. */
const handoffOf = (conversation: { team: { name: string } | null; priority: string }): HandoffInfo =>
  HandoffInfoSchema.parse({ team: conversation.team?.name ?? null, priority: conversation.priority });

/** Slack's message ts ("1700000000.000200": seconds, then a sequence) in time order. */
function slackTsOrder(a: string, b: string): number {
  const [aSeconds = '', aSequence = ''] = a.split('.');
  const [bSeconds = '', bSequence = ''] = b.split('.');
  return Number(aSeconds) - Number(bSeconds) || Number(aSequence.padEnd(6, '0')) - Number(bSequence.padEnd(6, '0'));
}
