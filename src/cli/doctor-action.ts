import { type AgentText, agentTextOf } from '../agent-text/agent-text.ts';
import { type Config, ConfigError, loadConfig } from '../config.ts';
import { type ChannelDefinition, openChannel } from '../core/channel.ts';
import { UserError } from '../core/errors.ts';
import type { PluginDefinition } from '../core/plugin.ts';
import { readFlowDirectory } from '../flows/registry.ts';
import { plugins } from '../plugins.ts';
import { AlertsConfigSchema } from '../routing/alerts.ts';
import { RoutingConfigSchema } from '../routing/config.ts';
import { readYamlConfig } from '../routing/yaml-config.ts';
import { channels } from '../../channels/index.ts';
import { openReachableDatabase } from './database-check.ts';

export interface Finding {
  readonly check: string;
  /** ok: works; off: not configured (the detail says how to turn it on); problem: needs fixing. */
  readonly status: 'ok' | 'off' | 'problem';
  readonly detail: string;
}

type Env = Readonly<Record<string, string | undefined>>;

async function finding(check: string, probe: () => Promise<string> | string): Promise<Finding> {
  try {
    return { check, status: 'ok', detail: await probe() };
  } catch (error) {
    return { check, status: 'problem', detail: error instanceof ConfigError ? error.problems.join('; ') : (error as Error).message };
  }
}

async function databaseFinding(config: Config, text: AgentText): Promise<Finding> {
  return finding('database', async () => {
    const db = await openReachableDatabase(config.DATABASE_URL);
    await db.close();
    return text.t('cli.doctor.reachable', { url: db.displayUrl });
  });
}

async function channelFinding(definition: ChannelDefinition, env: Env, text: AgentText): Promise<Finding> {
  const check = `channel ${definition.name}`;
  let created: Awaited<ReturnType<typeof openChannel>>;
  try {
    created = await openChannel(definition, env);
  } catch (error) {
    return { check, status: 'problem', detail: (error as Error).message };
  }
  if ('off' in created) return { check, status: 'off', detail: created.off };
  const { verify } = created;
  if (!verify) return { check, status: 'ok', detail: text.t('cli.doctor.channel_unchecked') };
  return finding(check, async () => text.t('cli.doctor.credentials_accepted', { account: await verify.call(created) }));
}

async function pluginFinding(definition: PluginDefinition, env: Env, text: AgentText): Promise<Finding> {
  const check = `desk ${definition.name}`;
  let created: ReturnType<PluginDefinition['create']>;
  try {
    created = definition.create(env);
  } catch (error) {
    return { check, status: 'problem', detail: (error as Error).message };
  }
  if ('off' in created) return { check, status: 'off', detail: created.off };
  const { verify } = created;
  if (!verify) return { check, status: 'ok', detail: text.t('cli.doctor.desk_unchecked') };
  return finding(check, async () => text.t('cli.doctor.credentials_accepted', { account: await verify.call(created) }));
}

/** Every check `parley doctor` makes: settings, the files they name, the database, each channel and desk. */
export async function diagnose(env: Env): Promise<Finding[]> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    return [{ check: 'configuration', status: 'problem', detail: (error as ConfigError).problems?.join('; ') ?? (error as Error).message }];
  }
  const text = agentTextOf(config);
  const findings: Finding[] = [{ check: 'configuration', status: 'ok', detail: text.t('cli.doctor.settings_valid') }];
  findings.push(
    await finding('flows', () => {
      const result = readFlowDirectory(config.PARLEY_FLOWS_DIR);
      if (result.problems.length > 0) throw new UserError(text.t('cli.doctor.flow_problems', { count: result.problems.length, dir: config.PARLEY_FLOWS_DIR }));
      return text.t('cli.doctor.flows', { count: result.flows.length, dir: config.PARLEY_FLOWS_DIR });
    }),
  );
  const routing = config.PARLEY_ROUTING_CONFIG;
  const alerts = config.PARLEY_ALERTS_CONFIG;
  if (routing)
    findings.push(
      await finding('routing', () =>
        text.t('cli.doctor.teams', { count: Object.keys(readYamlConfig(routing, RoutingConfigSchema).teams).length, file: routing }),
      ),
    );
  if (alerts)
    findings.push(await finding('alerts', () => text.t('cli.doctor.rules', { count: readYamlConfig(alerts, AlertsConfigSchema).rules.length, file: alerts })));
  findings.push(await databaseFinding(config, text));
  for (const definition of channels) findings.push(await channelFinding(definition, env, text));
  for (const definition of plugins) findings.push(await pluginFinding(definition, env, text));
  return findings;
}

/** `parley doctor`: prints every finding; a problem makes it fail. */
export async function doctorCommand(): Promise<void> {
  const findings = await diagnose(process.env);
  const width = Math.max(...findings.map((f) => f.check.length));
  for (const f of findings) process.stdout.write(`${f.status.padEnd(7)} ${f.check.padEnd(width)}  ${f.detail}\n`);
  const problems = findings.filter((f) => f.status === 'problem').length;
  if (problems > 0) throw new UserError(`${problems} problem${problems === 1 ? '' : 's'} found`);
}
