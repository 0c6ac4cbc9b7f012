import type { DeskNotice, DeskNotifier } from '../../routing/notifier.ts';
import { escapeMrkdwn } from './mrkdwn.ts';

/** The parts of the Slack desk a notice needs: a line in a conversation's thread, a channel post. */
export interface SlackNoticeTargets {
  notice(conversationId: string, text: string, key: string): Promise<void>;
  post(args: { channel: string; text: string }): Promise<string>;
}

const TARGET = { first_response: 'first response', resolution: 'resolution' } as const;

/**
 * SLA warnings, breaches and assignments as lines in the conversation's Slack thread (once per
 * notice, however often its job runs); alerts as posts in the channel the rule names.
 */
export class SlackNotifier implements DeskNotifier {
  constructor(
    private readonly targets: SlackNoticeTargets,
    private readonly agentName: (agentId: string) => Promise<string>,
  ) {}

  async notify(notice: DeskNotice): Promise<void> {
    switch (notice.kind) {
      case 'sla.warning':
        return this.targets.notice(
          notice.conversationId,
          `:hourglass_flowing_sand: The ${TARGET[notice.target]} is due by ${notice.dueAt}.`,
          `sla:${notice.target}:warning:${notice.dueAt}`,
        );
      case 'sla.breached': {
        const parts = [`:rotating_light: The ${TARGET[notice.target]} target (${notice.dueAt}) was missed.`];
        if (notice.mention) parts.push(notice.mention);
        if (notice.transferredTo) parts.push(`Escalated to ${escapeMrkdwn(notice.transferredTo)}.`);
        return this.targets.notice(notice.conversationId, parts.join(' '), `sla:${notice.target}:breached:${notice.dueAt}`);
      }
      case 'assignment':
        return this.targets.notice(
          notice.conversationId,
          `:bust_in_silhouette: Assigned to ${escapeMrkdwn(await this.agentName(notice.agentId))}.`,
          `assignment:${notice.agentId}`,
        );
      case 'alert':
        if (notice.slackChannel) await this.targets.post({ channel: notice.slackChannel, text: `:warning: ${escapeMrkdwn(notice.text)}` });
        return;
    }
  }
}
