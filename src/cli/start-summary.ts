import type { Config } from '../config.ts';
import type { ChannelState } from '../runtime.ts';

export interface StartFacts {
  readonly version: string;
  readonly database: string;
  /** The address the server listens on, e.g. http://127.0.0.1:3000. */
  readonly url: string;
  readonly config: Config;
  readonly channels: readonly ChannelState[];
  /** Agent desks (the Slack desk). */
  readonly desks: readonly ChannelState[];
  readonly flows: number;
  /** Open conversations no desk or available agent could take (tagged `unattended`). */
  readonly unattended: number;
}

const onOff = (state: ChannelState) => (state.state === 'on' ? `on (${state.detail})` : `${state.state} — ${state.detail}`);

/** The block a starting server prints: what runs, what is off and how to turn it on, where hand-offs go. */
export function startSummary(facts: StartFacts): string {
  const { config } = facts;
  const aiOn = Boolean(config.OPENAI_API_KEY) && config.PARLEY_AI_ENABLED === 'true';
  const ai = aiOn
    ? `on (${config.OPENAI_MODEL}${config.OPENAI_BASE_URL ? ` at ${config.OPENAI_BASE_URL}` : ''})`
    : config.OPENAI_API_KEY
      ? 'off — PARLEY_AI_ENABLED=false'
      : 'off — set OPENAI_API_KEY to turn it on; keyword rules answer';
  const deskOn = facts.desks.filter((d) => d.state === 'on');
  const handoffs = deskOn.length
    ? `to the agent desk (${deskOn.map((d) => d.name).join(', ')})`
    : `nowhere but this log: no agent desk runs (${facts.desks.map((d) => `${d.name}: ${d.detail}`).join('; ') || 'none installed'})`;
  const rows: [string, string][] = [
    ['version', facts.version],
    ['database', facts.database],
    [
      'HTTP',
      `${facts.url} (API ${config.PARLEY_API_TOKEN ? `${facts.url}/api/v1, reference ${facts.url}/api/v1/docs` : 'off — set PARLEY_API_TOKEN to turn it on'})`,
    ],
    ['flows', `${facts.flows} loaded from ${config.PARLEY_FLOWS_DIR}`],
    ['local numbers', `read as ${config.PARLEY_DEFAULT_REGION.split(',').join(', then ')} numbers (PARLEY_DEFAULT_REGION)`],
    ...facts.channels.map((c): [string, string] => [`channel ${c.name}`, onOff(c)]),
    ['AI assist', ai],
    ['routing', config.PARLEY_ROUTING_CONFIG ? `on (${config.PARLEY_ROUTING_CONFIG})` : 'off — round robin, no SLAs, always open; set PARLEY_ROUTING_CONFIG'],
    ['alerts', config.PARLEY_ALERTS_CONFIG ? `on (${config.PARLEY_ALERTS_CONFIG})` : 'off — set PARLEY_ALERTS_CONFIG'],
    ...facts.desks.map((d): [string, string] => [`desk ${d.name}`, onOff(d)]),
    [
      'hand-offs go',
      handoffs +
        (config.PARLEY_NOTIFY_SMTP_URL && config.PARLEY_NOTIFY_EMAIL ? `; notices by email to ${config.PARLEY_NOTIFY_EMAIL}` : '') +
        (facts.unattended
          ? `; ${facts.unattended} conversation${facts.unattended === 1 ? ' waits' : 's wait'} unattended (tagged in parley conversations list)`
          : ''),
    ],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return `Parley is running\n${rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n')}`;
}
