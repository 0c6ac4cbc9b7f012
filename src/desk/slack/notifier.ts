import type { AgentText } from '../../agent-text/agent-text.ts';
import type { DeskNotice, DeskNotifier } from '../../routing/notifier.ts';
import { alertContextLine } from '../../routing/alert-texts.ts';
import { escapeMrkdwn } from './mrkdwn.ts';

/** The parts of the Slack desk a notice needs: a line in a conversation's thread, a channel post. */
export interface SlackNoticeTargets {
  notice(conversationId: string, text: string, key: string): Promise<void>;
  post(args: { channel: string; text: string; blocks?: unknown[] }): Promise<string>;
  /** A link to the conversation's current Slack thread (chat.getPermalink), if it has one. */
  threadLink(conversationId: string): Promise<string | undefined>;
}

/**
 * SLA warnings, breaches and assignments as lines in the conversation's Slack thread (once per
 * notice, however often its job runs); alerts as posts in the channel the rule names.
 */
export class SlackNotifier implements DeskNotifier {
  constructor(
    private readonly targets: SlackNoticeTargets,
    private readonly agentName: (agentId: string) => Promise<string>,
    private readonly text: AgentText,
  ) {}

  async notify(notice: DeskNotice): Promise<void> {
    switch (notice.kind) {
      case 'sla.warning':
        return this.targets.notice(
          notice.conversationId,
          this.text.t('slack.sla_warning', { target: this.text.t(`sla.${notice.target}`), due: this.text.dateTime(new Date(notice.dueAt)) }),
          `sla:${notice.target}:warning:${notice.dueAt}`,
        );
      case 'sla.breached': {
        const parts = [this.text.t('slack.sla_breached', { target: this.text.t(`sla.${notice.target}`), due: this.text.dateTime(new Date(notice.dueAt)) })];
        if (notice.mention) parts.push(notice.mention);
        if (notice.transferredTo) parts.push(this.text.t('slack.escalated', { team: escapeMrkdwn(notice.transferredTo) }));
        return this.targets.notice(notice.conversationId, parts.join(' '), `sla:${notice.target}:breached:${notice.dueAt}`);
      }
      case 'assignment':
        return this.targets.notice(
          notice.conversationId,
          [
            this.text.t('slack.assigned', { agent: escapeMrkdwn(await this.agentName(notice.agentId)) }),
            notice.overCapacity ? this.text.t('notice.over_capacity', notice.overCapacity) : '',
          ]
            .filter(Boolean)
            .join(' '),
          `assignment:${notice.agentId}`,
        );
      case 'alert': {
        if (!notice.slackChannel) return;
        // Mentions come from config in Slack's wire form (validated there); everything else is escaped.
        const headline = `${this.text.t('slack.alert', { text: escapeMrkdwn(notice.text) })}${notice.mention ? ` ${notice.mention}` : ''}`;
        const context = notice.context ? alertContextLine(notice.context, this.text, escapeMrkdwn) : '';
        const thread = notice.conversationId ? await this.targets.threadLink(notice.conversationId) : undefined;
        const lines = [headline, context, thread ? `<${thread}|${this.text.t('alert.open_thread')}>` : ''].filter(Boolean);
        const blocks = [
          { type: 'section', text: { type: 'mrkdwn', text: headline } },
          ...(context ? [{ type: 'context', elements: [{ type: 'mrkdwn', text: context }] }] : []),
          ...(thread
            ? [
                {
                  type: 'actions',
                  elements: [
                    { type: 'button', action_id: 'parley-link:thread', text: { type: 'plain_text', text: this.text.t('alert.open_thread') }, url: thread },
                  ],
                },
              ]
            : []),
        ];
        await this.targets.post({ channel: notice.slackChannel, text: lines.join('\n'), blocks });
        return;
      }
    }
  }
}
