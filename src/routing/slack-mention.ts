import { z } from 'zod';

// Slack notifies only for mentions in its wire form: https://docs.slack.dev/messaging/formatting-message-text#mentioning-groups
const USER_GROUP = /^<!subteam\^(S[A-Z0-9]+)(?:\|[^<>]*)?>$/;
const USER = /^<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>$/;
const BROADCAST = /^<!(here|channel)>$/;

const one = z.string().transform((value, ctx) => {
  const text = value.trim();
  const group = USER_GROUP.exec(text);
  if (group) return `<!subteam^${group[1]}>`;
  const user = USER.exec(text);
  if (user) return `<@${user[1]}>`;
  if (BROADCAST.test(text)) return text;
  ctx.addIssue({
    code: 'custom',
    message: `"${value}" is plain text to Slack and notifies nobody: write a user group as "<!subteam^S0123ABCD>" (Slack: People > User groups > the group's ⋯ menu > Copy group ID), a person as "<@U0123ABCD>" (their profile's ⋯ menu > Copy member ID), or "<!here>"`,
  });
  return z.NEVER;
});

/** Who a Slack post mentions, from config: one mention or a list, each in Slack's wire form; the result is ready to post. */
export const SlackMentionSchema = z
  .preprocess((value) => (Array.isArray(value) ? value : [value]), z.array(one).min(1))
  .transform((mentions) => mentions.join(' '));
