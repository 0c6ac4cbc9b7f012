import { describe, expect, it } from 'vitest';
import { AgentText } from '../src/agent-text/agent-text.ts';
import { SlackNotifier } from '../src/desk/slack/notifier.ts';

describe('routing notices in Slack', () => {
  it('puts SLA warnings, breaches and assignments in the thread once each, and alerts in their channel', async () => {
    const lines: { conversationId: string; text: string; key: string }[] = [];
    const posts: { channel: string; text: string }[] = [];
    const notifier = new SlackNotifier(
      {
        notice: async (conversationId, text, key) => void lines.push({ conversationId, text, key }),
        post: async (args) => (posts.push(args), '1.0'),
      },
      async (id) => (id === 'a1' ? 'Sara <Lead>' : id),
      new AgentText('en', 'UTC'),
    );
    await notifier.notify({ kind: 'sla.warning', conversationId: 'c1', target: 'first_response', dueAt: '2026-11-23T10:30:00.000Z', team: 'support' });
    await notifier.notify({
      kind: 'sla.breached',
      conversationId: 'c1',
      target: 'first_response',
      dueAt: '2026-11-23T10:30:00.000Z',
      team: 'support',
      mention: '@leads',
      transferredTo: 'tier2',
    });
    await notifier.notify({ kind: 'assignment', conversationId: 'c1', agentId: 'a1', team: 'support' });
    await notifier.notify({ kind: 'alert', ruleId: 'r', text: 'Customer <Ali> filed 4 complaints in 30 days', slackChannel: 'C0LEADS' });
    await notifier.notify({ kind: 'alert', ruleId: 'r', text: 'email only', email: 'x@example.com' });
    expect(lines).toEqual([
      {
        conversationId: 'c1',
        text: ':hourglass_flowing_sand: The first response is due by 2026/11/23 10:30.',
        key: 'sla:first_response:warning:2026-11-23T10:30:00.000Z',
      },
      {
        conversationId: 'c1',
        text: ':rotating_light: The first response target (2026/11/23 10:30) was missed. @leads Escalated to tier2.',
        key: 'sla:first_response:breached:2026-11-23T10:30:00.000Z',
      },
      { conversationId: 'c1', text: ':bust_in_silhouette: Assigned to Sara &lt;Lead&gt;.', key: 'assignment:a1' },
    ]);
    expect(posts).toEqual([{ channel: 'C0LEADS', text: ':warning: Customer &lt;Ali&gt; filed 4 complaints in 30 days' }]);
  });

  it("speaks the agents' language on their clock and calendar: Persian, Tehran time, Jalali date", async () => {
    const lines: string[] = [];
    const notifier = new SlackNotifier(
      { notice: async (_c, text) => void lines.push(text), post: async () => '1.0' },
      async () => 'سارا',
      new AgentText('fa', 'Asia/Tehran'),
    );
    await notifier.notify({ kind: 'sla.warning', conversationId: 'c1', target: 'first_response', dueAt: '2026-11-23T10:30:00.000Z', team: 'support' });
    await notifier.notify({ kind: 'assignment', conversationId: 'c1', agentId: 'a1', team: 'support' });
    // 10:30 UTC is 14:00 in Tehran; 2026-11-23 is 2 Azar 1405.
    expect(lines).toEqual([':hourglass_flowing_sand: مهلت اولین پاسخ تا ۱۴۰۵/۰۹/۰۲ ۱۴:۰۰ است.', ':bust_in_silhouette: به سارا سپرده شد.']);
  });
});
