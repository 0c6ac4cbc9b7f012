import { unreadPhoneReason } from '../../core/address.ts';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { App } from '@slack/bolt';
import type { AgentText } from '../../agent-text/agent-text.ts';
import type { Logger } from 'pino';
import { z } from 'zod';
import { SendError } from '../../core/channel.ts';
import { UserError } from '../../core/errors.ts';
import { agentErrorText } from '../../agent-text/agent-error.ts';
import { newId } from '../../core/ids.ts';
import type { Attachment } from '../../core/message.ts';
import { searchCustomers } from '../../crm/customers.ts';
import { decideSuggestion } from '../../crm/suggestions.ts';
import type { Database, Prisma as PrismaClient } from '../../db/database.ts';
import { listCanned } from '../canned.ts';
import { conversationRef, type Desk } from '../desk.ts';
import { ACTION, SNOOZE_CHOICES, statusLabel } from './card.ts';
import type { SlackDirectory } from './directory.ts';
import { escapeMrkdwn, truncate } from './mrkdwn.ts';
import { richToPlain } from '../../core/rich-text.ts';
import { fromSlackWire, mentionedUsers } from './wire-text.ts';
import type { SlackPoster } from './poster.ts';
import type { SlackConfig } from './settings.ts';
import type { SlackThreads } from './threads.ts';
import { OPEN_TICKET_STATUSES } from '../../routing/ticket-statuses.ts';

export interface ListenerDeps {
  readonly db: Database;
  readonly desk: Desk;
  readonly threads: SlackThreads;
  readonly directory: SlackDirectory;
  readonly poster: SlackPoster;
  readonly config: SlackConfig;
  readonly logger: Logger;
  readonly dataDir: string;
  readonly defaultRegion: string | undefined;
  /** The customer's language when their record has none (neutral words for unnamed mentions). */
  readonly defaultLocale: string;
  readonly now: () => Date;
  /** Agent-facing words (PARLEY_AGENT_LOCALE). */
  readonly text: AgentText;
  /** A draft reply in the customer's language (AI assist); undefined when none can be made. */
  readonly suggestReply?: (conversationId: string) => Promise<{ text: string } | undefined>;
}

const SlackFileSchema = z.object({
  id: z.string(),
  name: z.string().optional(),
  mimetype: z.string().optional(),
  size: z.number().optional(),
  url_private_download: z.string().optional(),
  url_private: z.string().optional(),
  /** "check_file_info": a Slack Connect file whose details only files.info gives (https://docs.slack.dev/reference/events/message/file_share). */
  file_access: z.string().optional(),
});
type SlackFile = z.output<typeof SlackFileSchema>;

/** The thread replies Parley acts on; everything else (bots, edits, joins, top-level chatter) is ignored. */
const ThreadReplySchema = z.object({
  channel: z.string(),
  user: z.string(),
  ts: z.string(),
  thread_ts: z.string(),
  /** Who wrote the thread's first message: Parley's cards are the bot user's. */
  parent_user_id: z.string().optional(),
  text: z.string().optional(),
  subtype: z.enum(['file_share', 'thread_broadcast']).optional(),
  bot_id: z.undefined().optional(),
  files: z.array(SlackFileSchema).default([]),
});

/** An agent edited (message_changed) or deleted (message_deleted) a message in a conversation's thread. */
const ChangedSchema = z.object({
  subtype: z.literal('message_changed'),
  channel: z.string(),
  message: z.object({
    ts: z.string(),
    user: z.string().optional(),
    text: z.string().optional(),
    thread_ts: z.string().optional(),
    edited: z.object({ user: z.string().optional(), ts: z.string() }).optional(),
  }),
});
const DeletedSchema = z.object({
  subtype: z.literal('message_deleted'),
  channel: z.string(),
  ts: z.string(),
  deleted_ts: z.string(),
  previous_message: z.object({ user: z.string().optional(), thread_ts: z.string().optional() }).optional(),
});

const kindOf = (mime: string | undefined): Attachment['kind'] =>
  mime?.startsWith('image/') ? 'image' : mime?.startsWith('audio/') ? 'audio' : mime?.startsWith('video/') ? 'video' : mime ? 'document' : 'other';

/** `note:` and `//` style prefixes, case-insensitive; returns the note text without it. */
export function noteText(text: string, prefixes: readonly string[]): string | undefined {
  const trimmed = text.trimStart();
  const prefix = prefixes.find((p) => trimmed.toLowerCase().startsWith(p.toLowerCase()));
  return prefix === undefined ? undefined : trimmed.slice(prefix.length).trim();
}

export function registerListeners(app: App, deps: ListenerDeps): void {
  const { db, desk, threads, directory, poster, config, logger, text: agentText } = deps;

  const tellUser = async (channel: string, user: string, text: string, threadTs?: string) => {
    await poster.ephemeral(channel, user, text, threadTs).catch((error: unknown) => logger.warn({ err: error }, 'slack: could not tell the user'));
  };

  /** The file's details: Slack Connect files come without them, and files.info may still refuse (the other organisation's file). */
  const fileDetails = async (file: SlackFile): Promise<{ file: SlackFile } | { refused: string }> => {
    if (file.url_private_download ?? file.url_private) return { file };
    try {
      const info = await poster.client.files.info({ file: file.id });
      const full = SlackFileSchema.safeParse(info.file);
      if (full.success && (full.data.url_private_download ?? full.data.url_private)) return { file: full.data };
      return { refused: agentText.t('slack.file.no_link') };
    } catch (error) {
      return { refused: agentText.t('slack.file.refused', { error: (error as { data?: { error?: string } }).data?.error ?? (error as Error).message }) };
    }
  };

  const downloadFiles = async (files: SlackFile[]): Promise<{ attachments: Attachment[]; refused: string[] }> => {
    const attachments: Attachment[] = [];
    const refused: string[] = [];
    const dir = join(deps.dataDir, 'attachments', 'slack');
    for (const shared of files) {
      const details = await fileDetails(shared);
      if ('refused' in details) {
        refused.push(`*${escapeMrkdwn(shared.name ?? shared.id)}* (${escapeMrkdwn(details.refused)})`);
        continue;
      }
      const file = details.file;
      const url = (file.url_private_download ?? file.url_private) as string;
      const response = await fetch(url, { headers: { Authorization: `Bearer ${config.botToken}` } });
      if (!response.ok) throw new Error(`downloading Slack file ${file.id} failed: HTTP ${response.status}`);
      await mkdir(dir, { recursive: true });
      const fileName = file.name ?? file.id;
      const path = join(dir, `${file.id}-${fileName.replace(/[^\p{L}\p{N}._-]+/gu, '_')}`);
      await writeFile(path, Buffer.from(await response.arrayBuffer()));
      attachments.push({ kind: kindOf(file.mimetype), url: pathToFileURL(path).href, mimeType: file.mimetype, fileName, size: file.size });
    }
    return { attachments, refused };
  };

  /** An agent's Slack text as the customer will read it: entities unescaped, links spelled out, mentions as names. */
  const customerText = async (wire: string, conversationId: string) => {
    const customer = await db.prisma.customer.findFirst({ where: { conversations: { some: { id: conversationId } } }, select: { locale: true } });
    return fromSlackWire(wire, await directory.mentionNames(mentionedUsers(wire)), customer?.locale ?? deps.defaultLocale);
  };

  /**
   * A thread notice posted while Slack waits for the event's answer: a wait for the per-channel
   * rate limit is waited out here (briefly) instead of failing the event.
   */
  const noticeNow = async (thread: Parameters<SlackThreads['notice']>[0], text: string, key: string): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await threads.notice(thread, text, key);
      } catch (error) {
        if (!(error instanceof SendError) || error.code !== 'local_rate_limit' || attempt >= 3) throw error;
        await new Promise((resolve) => setTimeout(resolve, error.retryAfterMs));
      }
    }
  };

  const quoted = (text: string | null) =>
    (text ?? '')
      .split('\n')
      .map((line) => `> ${escapeMrkdwn(line)}`)
      .join('\n');

  /** The newest desk message recorded for an agent's Slack message (an edit adds a newer one). */
  const recordedReply = (channel: string, ts: string) =>
    db.prisma.slackPost.findFirst({ where: { channelId: channel, ts, kind: { in: ['agent', 'note'] }, messageId: { not: null } }, orderBy: { id: 'desc' } });

  // An agent edited a reply: a reply still in the outbox is replaced; one already sent is explained in the thread.
  const onChanged = async (event: z.output<typeof ChangedSchema>) => {
    const { channel, message } = event;
    if (!message.thread_ts || !message.edited) return;
    const thread = await threads.at(channel, message.thread_ts);
    const post = await recordedReply(channel, message.ts);
    if (!thread || post?.kind !== 'agent' || !post.messageId) return;
    const sourceKey = `${channel}:${message.ts}:edit:${message.edited.ts}`;
    if (await db.prisma.slackPost.findUnique({ where: { sourceKey } })) return;
    const editor = message.edited.user ?? message.user;
    const rich = await customerText(message.text ?? '', thread.conversationId);
    const record = async (tx: PrismaClient, messageId: string | null) => {
      await tx.slackPost.create({
        data: { id: newId(), conversationId: thread.conversationId, messageId, channelId: channel, ts: message.ts, kind: 'agent', sourceKey },
      });
    };
    const result = await desk.changeReply(post.messageId, { rich, origin: record });
    if (result.outcome === 'already_sent') {
      await db.run((c) => record(c as PrismaClient, null));
      await noticeNow(
        thread,
        agentText.t('slack.edited.already_sent', {
          editor: editor ? `<@${editor}>` : agentText.t('slack.an_agent'),
          channel: escapeMrkdwn(result.channel),
          quote: quoted(result.text),
        }),
        `edited:${sourceKey}`,
      );
    } else if (!result.messageId) {
      await db.run((c) => record(c as PrismaClient, null));
      await noticeNow(thread, agentText.t('slack.edited.emptied'), `edited:${sourceKey}`);
    } else if (editor) {
      await tellUser(channel, editor, agentText.t('slack.edited.in_time'), message.thread_ts);
    }
  };

  // An agent deleted a reply: one still in the outbox is withdrawn; one already sent is explained in the thread.
  const onDeleted = async (event: z.output<typeof DeletedSchema>) => {
    const { channel, deleted_ts: ts } = event;
    const post = await recordedReply(channel, ts);
    if (post?.kind !== 'agent' || !post.messageId) return;
    const sourceKey = `${channel}:${ts}:deleted`;
    if (await db.prisma.slackPost.findUnique({ where: { sourceKey } })) return;
    const result = await desk.changeReply(post.messageId, {});
    await db.run((c) =>
      c.slackPost.create({ data: { id: newId(), conversationId: post.conversationId, messageId: null, channelId: channel, ts, kind: 'deleted', sourceKey } }),
    );
    const author = event.previous_message?.user ? `<@${event.previous_message.user}>` : agentText.t('slack.an_agent');
    await noticeNow(
      post.conversationId,
      result.outcome === 'already_sent'
        ? agentText.t('slack.deleted.already_sent', { author, channel: escapeMrkdwn(result.channel), quote: quoted(result.text) })
        : agentText.t('slack.deleted.in_time', { author }),
      `deleted:${sourceKey}`,
    );
  };

  // Thread replies: to the customer, or an internal note. Stored before Slack gets its answer.
  app.event('message', async ({ event, context }) => {
    const changed = ChangedSchema.safeParse(event);
    if (changed.success) return onChanged(changed.data);
    const deleted = DeletedSchema.safeParse(event);
    if (deleted.success) return onDeleted(deleted.data);
    const parsed = ThreadReplySchema.safeParse(event);
    if (!parsed.success || parsed.data.thread_ts === parsed.data.ts) return;
    const reply = parsed.data;
    // A thread under someone else's message is the team's own talk.
    if (reply.parent_user_id !== undefined && context.botUserId !== undefined && reply.parent_user_id !== context.botUserId) return;
    const found = await threads.forReply(reply.channel, reply.thread_ts);
    if (!found) return;
    const sourceKey = `${reply.channel}:${reply.ts}`;
    if (await db.prisma.slackPost.findUnique({ where: { sourceKey } })) return;
    try {
      if ('superseded' in found) throw new UserError(agentText.t('slack.moved.answer_there', { channel: found.superseded.channelId }));
      const { thread } = found;
      const current = await threads.current(thread.conversationId);
      if (current && current.id !== thread.id) throw new UserError(agentText.t('slack.moved.answer_there', { channel: current.channelId }));
      await directory.requireMember(reply.channel, reply.user);
      const agent = await directory.agentFor(reply.user);
      const origin = (kind: string) => async (tx: PrismaClient, messageId: string) => {
        await tx.slackPost.create({
          data: { id: newId(), conversationId: thread.conversationId, messageId, channelId: reply.channel, ts: reply.ts, kind, sourceKey },
        });
      };
      const text = reply.text ?? '';
      const note = noteText(text, config.notePrefixes);
      const { attachments, refused } = await downloadFiles(reply.files);
      if (refused.length > 0) {
        await tellUser(reply.channel, reply.user, agentText.t('slack.not_forwarded', { files: refused.join(', ') }), reply.thread_ts);
        if (!text.trim() && attachments.length === 0) return;
      }
      if (note !== undefined) {
        await desk.note({
          conversationId: thread.conversationId,
          agentId: agent.id,
          text: richToPlain(await customerText(note, thread.conversationId)),
          attachments,
          origin: origin('note'),
        });
        await poster.react(reply.channel, reply.ts, 'memo').catch((error: unknown) => logger.warn({ err: error }, 'slack: note stored; marking it failed'));
        return;
      }
      const canned = /^!([\p{L}\p{N}_-]+)\s*$/u.exec(text.trim());
      const body = canned ? await desk.renderCanned(canned[1] as string, thread.conversationId, agent.id) : text;
      await desk.reply({
        conversationId: thread.conversationId,
        agentId: agent.id,
        ...(canned ? { text: body } : { rich: await customerText(text, thread.conversationId) }),
        attachments,
        origin: origin('agent'),
      });
      if (canned) {
        await threads
          .notice(thread, agentText.t('slack.canned_sent', { name: escapeMrkdwn(canned[1] as string), text: escapeMrkdwn(body) }), `canned:${sourceKey}`)
          .catch((error: unknown) => logger.warn({ err: error }, 'slack: canned reply queued; showing it failed'));
      }
    } catch (error) {
      if (!(error instanceof UserError)) logger.error({ err: error, sourceKey }, 'slack: thread reply not handled');
      await tellUser(reply.channel, reply.user, agentText.t('slack.not_sent', { reason: agentErrorText(agentText, error) }), reply.thread_ts);
      if (!(error instanceof UserError)) throw error;
    }
  });

  // Link buttons (an alert's "open the thread") open in the browser; Slack still expects an acknowledgement.
  app.action(/^parley-link:/, async ({ ack }) => {
    await ack();
  });

  // Card buttons and menus.
  app.action(/^parley:/, async ({ ack, body, action }) => {
    await ack();
    const user = body.user.id;
    const channel = 'channel' in body ? body.channel?.id : undefined;
    const messageTs = 'message' in body ? (body.message as { ts?: string } | undefined)?.ts : undefined;
    const pressed = action as { action_id: string; value?: string };
    if (pressed.action_id === ACTION.sendSuggestion && channel) {
      // From an ephemeral message, which carries no message: the button says which conversation.
      try {
        const { c, t } = z.object({ c: z.string(), t: z.string().min(1) }).parse(JSON.parse(pressed.value ?? '{}'));
        await directory.requireMember(channel, user);
        await desk.reply({ conversationId: c, agentId: (await directory.agentFor(user)).id, text: t });
      } catch (error) {
        if (!(error instanceof UserError)) logger.error({ err: error }, 'slack: sending the suggested reply failed');
        await tellUser(channel, user, agentText.t('slack.not_sent', { reason: agentErrorText(agentText, error) }));
      }
      return;
    }
    if (!channel || !messageTs) return;
    try {
      const thread = await threads.at(channel, messageTs);
      if (!thread) throw new UserError(agentText.t('slack.card.unknown'));
      const current = await threads.current(thread.conversationId);
      if (current && current.id !== thread.id) throw new UserError(agentText.t('slack.moved.use_card', { channel: current.channelId }));
      await directory.requireMember(channel, user);
      const agent = await directory.agentFor(user);
      const by = `agent:${agent.id}`;
      const id = thread.conversationId;
      const a = action as { action_id: string; selected_user?: string; selected_option?: { value: string } };
      switch (a.action_id) {
        case ACTION.claim:
          return await desk.assign(id, agent.id, by);
        case ACTION.assign: {
          if (!a.selected_user) return;
          await directory.requireMember(channel, a.selected_user);
          return await desk.assign(id, (await directory.agentFor(a.selected_user)).id, by);
        }
        case ACTION.resolve:
          return await desk.resolve(id, by);
        case ACTION.snooze: {
          const choice = SNOOZE_CHOICES[a.selected_option?.value ?? ''];
          if (!choice) throw new UserError(agentText.t('slack.card.unknown_snooze', { choice: a.selected_option?.value ?? '' }));
          return await desk.snooze(id, new Date(deps.now().getTime() + choice.ms), by);
        }
        case ACTION.transfer: {
          const team = a.selected_option?.value;
          if (!team || !(team in config.teamChannels))
            throw new UserError(agentText.t('slack.card.unknown_team', { team: team ?? '', teams: Object.keys(config.teamChannels).join(', ') }));
          return await desk.transfer(id, team, by);
        }
        case ACTION.survey:
          return await desk.requestFlow(id, config.surveyFlow, by);
        case ACTION.suggest: {
          const draft = await deps.suggestReply?.(id);
          if (!draft) return await tellUser(channel, user, agentText.t('slack.suggestion.none'), thread.threadTs);
          // Ephemeral: only this agent sees it; they send it as is, or copy and edit it in the thread.
          await poster.ephemeral(channel, user, draft.text, thread.threadTs, [
            { type: 'section', text: { type: 'mrkdwn', text: `${agentText.t('slack.suggestion.title')}\n${escapeMrkdwn(draft.text)}` } },
            {
              type: 'actions',
              elements: [
                {
                  type: 'button',
                  action_id: ACTION.sendSuggestion,
                  text: { type: 'plain_text', text: agentText.t('slack.suggestion.send') },
                  style: 'primary',
                  value: JSON.stringify({ c: id, t: draft.text.slice(0, 1800) }),
                },
              ],
            },
            { type: 'context', elements: [{ type: 'mrkdwn', text: agentText.t('slack.suggestion.hint') }] },
          ]);
          return;
        }

        case ACTION.handBack:
          return await desk.handBack(id, by);
        case ACTION.mergeAccept:
        case ACTION.mergeReject: {
          const suggestionId = (action as { value?: string }).value;
          if (!suggestionId) throw new UserError(agentText.t('slack.card.no_suggestion_id'));
          const { merge } = await decideSuggestion(deps.db, suggestionId, a.action_id === ACTION.mergeAccept ? 'accept' : 'reject', by, deps.now());
          await threads.refreshCard(id);
          return await tellUser(
            channel,
            user,
            merge ? agentText.t('slack.merge_accepted', { merge: merge.mergeId }) : agentText.t('slack.merge_rejected'),
            thread.threadTs,
          );
        }
        default:
          throw new UserError(agentText.t('slack.card.unknown_action', { action: a.action_id }));
      }
    } catch (error) {
      if (!(error instanceof UserError)) logger.error({ err: error }, 'slack: card action failed');
      await tellUser(channel, user, `:warning: ${agentErrorText(agentText, error)}`);
    }
  });

  // The /parley command answers privately to whoever typed it.
  app.command('/parley', async ({ command, ack }) => {
    let answer: string;
    try {
      answer = await runCommand(command.text, command.user_id, deps);
    } catch (error) {
      if (!(error instanceof UserError)) logger.error({ err: error }, 'slack: /parley failed');
      answer = `:warning: ${agentErrorText(agentText, error)}`;
    }
    await ack({ response_type: 'ephemeral', text: answer });
  });
}

async function conversationFor(ref: string | undefined, user: string, deps: ListenerDeps) {
  if (!ref) throw new UserError(deps.text.t('slack.command.which_conversation'));
  const conversation = await deps.desk.findConversation(ref);
  const thread = await deps.threads.current(conversation.id);
  if (!thread) throw new UserError(deps.text.t('slack.command.no_thread', { ref: conversationRef(conversation) }));
  await deps.directory.requireMember(thread.channelId, user);
  return conversation;
}

export async function runCommand(input: string, user: string, deps: ListenerDeps): Promise<string> {
  const [sub = 'help', ...args] = input.trim().split(/\s+/).filter(Boolean);
  const { desk, directory, text: agentText } = deps;
  if (sub.toLowerCase() === 'help') return agentText.t('slack.help');
  // Customer data is for the desk: members of at least one team channel.
  const deskChannels = [...new Set([...Object.values(deps.config.teamChannels), ...(deps.config.defaultChannel ? [deps.config.defaultChannel] : [])])];
  let member = false;
  for (const channel of deskChannels) if (!member) member = await directory.isMember(channel, user);
  if (!member) throw new UserError(agentText.t('slack.command.agents_only'));
  switch (sub.toLowerCase()) {
    case 'resolve': {
      const agent = await directory.agentFor(user);
      const conversation = await conversationFor(args[0], user, deps);
      await desk.resolve(conversation.id, `agent:${agent.id}`);
      return agentText.t('slack.command.resolved', { ref: conversationRef(conversation) });
    }
    case 'handback': {
      const agent = await directory.agentFor(user);
      const conversation = await conversationFor(args[0], user, deps);
      await desk.handBack(conversation.id, `agent:${agent.id}`);
      return agentText.t('slack.command.handed_back', { ref: conversationRef(conversation) });
    }
    case 'flow': {
      const [flowId, ref] = args;
      if (!flowId) throw new UserError(agentText.t('slack.command.usage_flow'));
      const agent = await directory.agentFor(user);
      const conversation = await conversationFor(ref, user, deps);
      await desk.requestFlow(conversation.id, flowId, `agent:${agent.id}`);
      return agentText.t('slack.command.flow_requested', { flow: escapeMrkdwn(flowId), ref: conversationRef(conversation) });
    }
    case 'canned': {
      const [name, ref] = args;
      if (!name) {
        const all = await listCanned(deps.db);
        if (all.length === 0) return agentText.t('slack.command.no_canned');
        return all.map((c) => `*${escapeMrkdwn(c.name)}*: ${escapeMrkdwn(truncate(c.text, 120))}`).join('\n');
      }
      const agent = await directory.agentFor(user);
      const conversation = await conversationFor(ref, user, deps);
      const text = await desk.renderCanned(name, conversation.id, agent.id);
      await desk.reply({ conversationId: conversation.id, agentId: agent.id, text });
      return agentText.t('slack.command.canned_sent', { name: escapeMrkdwn(name), ref: conversationRef(conversation), text: escapeMrkdwn(text) });
    }
    case 'lookup': {
      const query = args.join(' ');
      if (!query) throw new UserError(agentText.t('slack.command.usage_lookup'));
      const found = await searchCustomers(deps.db, query, { defaultRegion: deps.defaultRegion, limit: 5 });
      if (found.length === 0) {
        const why = unreadPhoneReason(query, deps.defaultRegion);
        return `${agentText.t('slack.command.no_customer', { query: escapeMrkdwn(query) })}${why ? ` ${escapeMrkdwn(why)}.` : ''}`;
      }
      return (await Promise.all(found.map((c) => customerSummary(deps.db, c.id, deps.text)))).join('\n\n');
    }
    case 'away':
    case 'back': {
      const agent = await directory.agentFor(user);
      await desk.setAvailability(agent.id, sub.toLowerCase() === 'away' ? 'away' : 'available');
      directory.forget(user);
      return agentText.t(sub.toLowerCase() === 'away' ? 'slack.command.away' : 'slack.command.back');
    }
    default:
      throw new UserError(`${agentText.t('slack.command.unknown', { command: sub })} ${agentText.t('slack.help')}`);
  }
}

async function customerSummary(db: Database, customerId: string, text: AgentText): Promise<string> {
  const customer = await db.prisma.customer.findUniqueOrThrow({
    where: { id: customerId },
    include: { identities: true, conversations: { orderBy: { lastMessageAt: 'desc' }, take: 1 } },
  });
  const [conversations, openTickets] = await Promise.all([
    db.prisma.conversation.count({ where: { customerId } }),
    db.prisma.ticket.count({ where: { customerId, status: { in: [...OPEN_TICKET_STATUSES] } } }),
  ]);
  const last = customer.conversations[0];
  return [
    `${customer.isKey ? ':star: ' : ''}*${escapeMrkdwn(customer.name ?? text.t('slack.lookup.no_name'))}*${customer.locale ? ` · ${escapeMrkdwn(customer.locale)}` : ''}`,
    customer.identities.map((i) => `${escapeMrkdwn(i.channel)} \`${escapeMrkdwn(i.address)}\``).join(', '),
    [
      text.t('slack.lookup.counts', { conversations, openTickets }),
      ...(last ? [text.t('slack.lookup.last', { ref: conversationRef(last), status: statusLabel(text, last.status) })] : []),
    ].join(' · '),
  ].join('\n');
}
