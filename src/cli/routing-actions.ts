import { TemplateRegistry } from '../contact/templates.ts';
import { agentTextOf } from '../agent-text/agent-text.ts';
import { parseSince } from '../core/duration.ts';
import { UserError } from '../core/errors.ts';
import { AlertsConfigSchema } from '../routing/alerts.ts';
import { defaultRoutingConfig, RoutingConfigSchema } from '../routing/config.ts';
import { buildReport, formatReport } from '../routing/reports.ts';
import { TICKET_STATUSES, type TicketStatus } from '../routing/ticket-statuses.ts';
import { changeTicketStatus } from '../routing/tickets.ts';
import { readYamlConfig } from '../routing/yaml-config.ts';
import { EventBus } from '../pipeline/events.ts';
import { JobRunner } from '../pipeline/jobs.ts';
import { Leases } from '../pipeline/leases.ts';
import { cliConfig, cliLogger, printJson, userInput, withDatabase } from './context.ts';

export async function reportCommand(options: { since: string; format: string }): Promise<void> {
  if (!['table', 'csv', 'json'].includes(options.format)) throw new UserError(`--format "${options.format}" is not one of table, csv, json`);
  const until = new Date();
  const since = userInput('--since', () => parseSince(options.since, until));
  await withDatabase(async (db, config) => {
    const report = await buildReport(db, since, until);
    process.stdout.write(formatReport(report, options.format as 'table', agentTextOf(config)));
  });
}

export async function checkConfigCommand(): Promise<void> {
  const routing = process.env.PARLEY_ROUTING_CONFIG;
  const alerts = process.env.PARLEY_ALERTS_CONFIG;
  const config = routing ? readYamlConfig(routing, RoutingConfigSchema) : defaultRoutingConfig();
  const rules = alerts ? readYamlConfig(alerts, AlertsConfigSchema).rules.length : 0;
  const text = agentTextOf(cliConfig());
  const templates = process.env.PARLEY_TEMPLATES_FILE
    ? text.t('cli.routing.config_templates', { templates: TemplateRegistry.load(process.env.PARLEY_TEMPLATES_FILE).list().length })
    : '';
  process.stdout.write(`${text.t('cli.routing.config_ok', { teams: Object.keys(config.teams).length, agents: config.agents.length, rules })}${templates}\n`);
}

export async function ticketCommand(ref: string, status: string, options: { rootCause?: string }): Promise<void> {
  if (!(TICKET_STATUSES as readonly string[]).includes(status)) throw new UserError(`status "${status}" is not one of ${TICKET_STATUSES.join(', ')}`);
  await withDatabase(async (db, config) => {
    const logger = cliLogger(config);
    // The events reach the subscribers the running processes recorded; their job runners run them.
    const jobs = new JobRunner(db, new Leases(db, config.PARLEY_LEASE_TTL), logger, {
      batchSize: 1,
      pollIntervalMs: 1000,
      maxAttempts: 1,
      backoffBaseMs: 1,
      backoffMaxMs: 1,
      workerId: 'cli',
    });
    const events = new EventBus(db, jobs, logger, { subscriberTtlMs: config.PARLEY_EVENT_SUBSCRIBER_TTL });
    const routing = config.PARLEY_ROUTING_CONFIG ? readYamlConfig(config.PARLEY_ROUTING_CONFIG, RoutingConfigSchema) : defaultRoutingConfig();
    printJson(
      await changeTicketStatus({ db, events, config: routing, defaultLocale: config.PARLEY_DEFAULT_LOCALE }, ref, {
        status: status as TicketStatus,
        rootCause: options.rootCause,
        by: 'cli',
      }),
    );
  });
}
