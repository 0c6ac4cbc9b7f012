import type { AgentText } from '../../agent-text/agent-text.ts';
import type { DeskNotice, DeskNotifier } from '../../routing/notifier.ts';
import { escapeMrkdwn } from './mrkdwn.ts';

/** The parts of the Slack desk a notice needs: a line in a conversation's thread, a channel post. */
export interface SlackNoticeTargets {
  notice(conversationId: string, text: string, key: string): Promise<void>;
  post(args: { channel: string; text: string }): Promise<string>;
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
          this.text.t('slack.assigned', { agent: escapeMrkdwn(await this.agentName(notice.agentId)) }),
          `assignment:${notice.agentId}`,
        );
      case 'alert':
        if (notice.slackChannel)
          await this.targets.post({ channel: notice.slackChannel, text: this.text.t('slack.alert', { text: escapeMrkdwn(notice.text) }) });
        return;
    }
  }
}
