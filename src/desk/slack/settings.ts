import { z } from 'zod';
import { ConfigError } from '../../config.ts';
import type { ChannelSetting } from '../../core/channel.ts';
import { parseDuration } from '../../core/duration.ts';

export const slackSettings: readonly ChannelSetting[] = [
  { env: 'SLACK_BOT_TOKEN', description: 'Bot token of the Parley Slack app (xoxb-...). Unset: the Slack desk is off.', example: 'xoxb-123-456-abc' },
  {
    env: 'SLACK_SIGNING_SECRET',
    description: 'Signing secret of the app: Events API requests to /slack/events are verified with it (HTTP mode).',
    example: '8f742231b10e8888abcd99yyyzzz85a5',
  },
  {
    env: 'SLACK_APP_TOKEN',
    description: 'App-level token (xapp-..., scope connections:write): Socket Mode instead of HTTP, for installs behind NAT.',
    example: 'xapp-1-A111-222-abc',
  },
  { env: 'SLACK_PORT', description: 'Port of the Slack Events API receiver (HTTP mode), serving POST /slack/events.', default: '3001', example: '8081' },
  { env: 'SLACK_API_URL', description: 'Slack Web API base URL (tests, proxies).', default: 'https://slack.com/api/', example: 'http://127.0.0.1:9999/api/' },
  {
    env: 'SLACK_TEAM_CHANNELS',
    description: "Which Slack channel each team's conversations go to: a JSON object of team name to channel id.",
    example: '{"support":"C0123456789","billing":"C0987654321"}',
  },
  {
    env: 'SLACK_DEFAULT_CHANNEL',
    description: 'Channel id for conversations of teams not in SLACK_TEAM_CHANNELS (and those handed off without a team).',
    example: 'C0123456789',
  },
  {
    env: 'SLACK_NOTE_PREFIXES',
    description: 'A thread reply starting with one of these (comma-separated) is an internal note: stored, never sent to the customer.',
    default: 'note:,//',
    example: 'note:,//,#internal',
  },
  {
    env: 'SLACK_SURVEY_FLOW',
    description: 'The flow the "Send survey" button asks the flow engine to start.',
    default: 'csat',
    example: 'csat-short',
  },
  {
    env: 'SLACK_MEMBERS_CACHE',
    description: "How long a channel's member list and a Slack user's agent record are cached.",
    default: '5m',
    example: '30s',
  },
];

const channelId = z.string().regex(/^[CGD][A-Z0-9]{2,}$/, 'is not a Slack channel id (like C0123456789)');

const TeamChannelsSchema = z.record(z.string().min(1, 'a team name may not be empty'), channelId);

export interface SlackConfig {
  readonly botToken: string;
  readonly signingSecret: string | undefined;
  readonly appToken: string | undefined;
  readonly port: number;
  readonly apiUrl: string;
  readonly teamChannels: Readonly<Record<string, string>>;
  readonly defaultChannel: string | undefined;
  readonly notePrefixes: readonly string[];
  readonly surveyFlow: string;
  readonly cacheMs: number;
}

const OFF =
  'set SLACK_BOT_TOKEN, SLACK_TEAM_CHANNELS or SLACK_DEFAULT_CHANNEL, and either SLACK_SIGNING_SECRET (Events API over HTTP) or SLACK_APP_TOKEN (Socket Mode); slack/manifest.yml creates the app';

/** The Slack desk's settings, or why it is off; invalid values throw a ConfigError naming the setting and key. */
export function readSlackConfig(env: Readonly<Record<string, string | undefined>>): SlackConfig | { off: string } {
  const value = (name: string) => {
    const raw = env[name]?.trim();
    return raw ? raw : slackSettings.find((s) => s.env === name)?.default;
  };
  const botToken = value('SLACK_BOT_TOKEN');
  if (!botToken) return { off: `no SLACK_BOT_TOKEN: ${OFF}` };
  const problems: string[] = [];
  const signingSecret = value('SLACK_SIGNING_SECRET');
  const appToken = value('SLACK_APP_TOKEN');
  if (!signingSecret && !appToken) problems.push('set SLACK_SIGNING_SECRET (Events API over HTTP) or SLACK_APP_TOKEN (Socket Mode)');
  if (appToken && !appToken.startsWith('xapp-')) problems.push('SLACK_APP_TOKEN: an app-level token starts with xapp-');

  let teamChannels: Record<string, string> = {};
  const rawTeams = value('SLACK_TEAM_CHANNELS');
  if (rawTeams) {
    let json: unknown;
    try {
      json = JSON.parse(rawTeams);
    } catch (error) {
      problems.push(`SLACK_TEAM_CHANNELS is not JSON (${(error as Error).message}); write {"team":"C0123456789"}`);
    }
    if (json !== undefined) {
      const parsed = TeamChannelsSchema.safeParse(json);
      if (parsed.success) teamChannels = parsed.data;
      else problems.push(...parsed.error.issues.map((i) => `SLACK_TEAM_CHANNELS${i.path.length ? `."${i.path.join('.')}"` : ''}: ${i.message}`));
    }
  }
  const defaultChannel = value('SLACK_DEFAULT_CHANNEL');
  if (defaultChannel && !channelId.safeParse(defaultChannel).success)
    problems.push(`SLACK_DEFAULT_CHANNEL "${defaultChannel}" is not a Slack channel id (like C0123456789)`);
  if (!defaultChannel && !rawTeams) problems.push('set SLACK_TEAM_CHANNELS or SLACK_DEFAULT_CHANNEL: where should conversations go?');

  const port = Number(value('SLACK_PORT'));
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push(`SLACK_PORT "${value('SLACK_PORT')}" is not a port number`);
  const apiUrl = value('SLACK_API_URL') as string;
  if (!/^https?:\/\//.test(apiUrl)) problems.push(`SLACK_API_URL "${apiUrl}" is not an http(s) URL`);
  let cacheMs = 300_000;
  try {
    cacheMs = parseDuration(value('SLACK_MEMBERS_CACHE') as string);
  } catch (error) {
    problems.push(`SLACK_MEMBERS_CACHE: ${(error as Error).message}`);
  }
  const notePrefixes = (value('SLACK_NOTE_PREFIXES') as string)
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    botToken,
    signingSecret,
    appToken,
    port,
    apiUrl: apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`,
    teamChannels,
    defaultChannel,
    notePrefixes,
    surveyFlow: value('SLACK_SURVEY_FLOW') as string,
    cacheMs,
  };
}

/** The channel a team's conversations go to. */
export function channelForTeam(config: Pick<SlackConfig, 'teamChannels' | 'defaultChannel'>, team: string | null | undefined): string {
  const channel = (team ? config.teamChannels[team] : undefined) ?? config.defaultChannel;
  if (!channel) throw new Error(`no Slack channel for team "${team ?? '(none)'}": add it to SLACK_TEAM_CHANNELS or set SLACK_DEFAULT_CHANNEL`);
  return channel;
}
