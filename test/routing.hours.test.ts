import { describe, expect, it } from 'vitest';
import { addBusinessTime, type BusinessHours, businessTimeBetween, isOpen, nextOpening } from '../src/routing/business-hours.ts';
import { pickAgent, queueOrder } from '../src/routing/assignment.ts';
import { AlertsConfigSchema } from '../src/routing/alerts.ts';
import { RoutingConfigSchema } from '../src/routing/config.ts';
import { computeStage } from '../src/routing/lifecycle.ts';
import { median, percentile } from '../src/routing/reports.ts';
import { ConfigFileError, parseYamlConfig } from '../src/routing/yaml-config.ts';

// Berlin: CET (UTC+1) until Sunday 2026-03-29 02:00, then CEST (UTC+2).
const berlin: BusinessHours = {
  timeZone: 'Europe/Berlin',
  weekly: { mon: '09:00-17:00', tue: '09:00-17:00', wed: '09:00-17:00', thu: '09:00-17:00', fri: '09:00-17:00' },
  holidays: ['2026-03-24'],
};
const H = 3_600_000;
const at = (iso: string) => new Date(iso);

describe('business hours', () => {
  it('is open on working hours in the team zone, closed at night, at weekends and on holidays', () => {
    expect(isOpen(berlin, at('2026-03-23T08:00:00Z'))).toBe(true); // Monday 09:00 CET
    expect(isOpen(berlin, at('2026-03-23T07:59:59Z'))).toBe(false);
    expect(isOpen(berlin, at('2026-03-23T16:00:00Z'))).toBe(false); // Monday 17:00 CET
    expect(isOpen(berlin, at('2026-03-24T10:00:00Z'))).toBe(false); // the holiday
    expect(isOpen(berlin, at('2026-03-28T10:00:00Z'))).toBe(false); // Saturday
    expect(isOpen(berlin, at('2026-03-30T07:00:00Z'))).toBe(true); // Monday 09:00 CEST
    expect(isOpen(undefined, at('2026-03-28T03:00:00Z'))).toBe(true);
  });

  it('skips a holiday: Monday 16:00 plus 2 open hours is Wednesday 10:00', () => {
    expect(addBusinessTime(berlin, at('2026-03-23T15:00:00Z'), 2 * H).toISOString()).toBe('2026-03-25T09:00:00.000Z');
    expect(nextOpening(berlin, at('2026-03-23T17:00:00Z'))?.toISOString()).toBe('2026-03-25T08:00:00.000Z');
  });

  it('crosses the daylight-saving change: Friday 16:00 CET plus 2 open hours is Monday 10:00 CEST', () => {
    expect(addBusinessTime(berlin, at('2026-03-27T15:00:00Z'), 2 * H).toISOString()).toBe('2026-03-30T08:00:00.000Z');
    expect(nextOpening(berlin, at('2026-03-28T10:00:00Z'))?.toISOString()).toBe('2026-03-30T07:00:00.000Z');
    expect(businessTimeBetween(berlin, at('2026-03-27T15:00:00Z'), at('2026-03-30T08:00:00Z'))).toBe(2 * H);
  });

  it('Tehran (UTC+3:30, no daylight saving) with a Saturday-to-Wednesday week', () => {
    const tehran: BusinessHours = {
      timeZone: 'Asia/Tehran',
      weekly: { sat: '08:00-16:00', sun: '08:00-16:00', mon: '08:00-16:00', tue: '08:00-16:00', wed: '08:00-16:00' },
    };
    // Thursday 2026-03-26 10:00 Tehran is closed; the next opening is Saturday 08:00 = 04:30Z.
    expect(nextOpening(tehran, at('2026-03-26T06:30:00Z'))?.toISOString()).toBe('2026-03-28T04:30:00.000Z');
  });
});

describe('assignment choice', () => {
  const agents = () => [
    { id: 'a', capacity: 2, load: 0 },
    { id: 'b', capacity: 2, load: 0 },
    { id: 'c', capacity: 1, load: 0 },
  ];
  it('round robin goes around evenly and skips agents at capacity', () => {
    const list = agents();
    const picks: string[] = [];
    let previous: string | null = null;
    for (let i = 0; i < 6; i++) {
      const agent = pickAgent('round_robin', list, previous);
      if (!agent) break;
      agent.load++;
      previous = agent.id;
      picks.push(agent.id);
    }
    expect(picks).toEqual(['a', 'b', 'c', 'a', 'b']);
    expect(pickAgent('round_robin', list, previous)).toBeUndefined();
  });
  it('least loaded takes the agent with the fewest open conversations; manual takes nobody', () => {
    const list = agents();
    list[0]!.load = 2;
    list[1]!.load = 1;
    expect(pickAgent('least_loaded', list, null)?.id).toBe('c');
    list[2]!.load = 1;
    expect(pickAgent('least_loaded', list, null)?.id).toBe('b');
    expect(pickAgent('manual', agents(), null)).toBeUndefined();
  });
  it('the queue serves urgent first, then who waited longest', () => {
    const order = queueOrder([
      { id: '1', priority: 'normal' as const },
      { id: '2', priority: 'urgent' as const },
      { id: '3', priority: 'normal' as const },
      { id: '0', priority: 'low' as const },
    ]);
    expect(order.map((o) => o.id)).toEqual(['2', '1', '3', '0']);
  });
});

describe('configuration files', () => {
  it('names file, line and column of each problem', () => {
    const source = [
      'teams:',
      '  support:',
      '    strategy: fastest',
      '    hours:',
      '      time_zone: Mars/Olympus',
      '      weekly: { mon: "9-17" }',
      'agents:',
      '  - name: Sara',
      '    teams: [support]',
    ].join('\n');
    let error: unknown;
    try {
      parseYamlConfig('config/routing.yaml', source, RoutingConfigSchema);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigFileError);
    const problems = (error as ConfigFileError).problems;
    expect(problems).toContainEqual(expect.stringMatching(/^config\/routing\.yaml:3:15: teams\.support\.strategy: /));
    expect(problems).toContainEqual(expect.stringMatching(/^config\/routing\.yaml:5:18: .*"Mars\/Olympus" is not an IANA time zone/));
    expect(problems).toContainEqual(expect.stringMatching(/^config\/routing\.yaml:6:22: .*"9-17" is not a time range/));
    // Cross-references are checked once each field is valid.
    expect(() => parseYamlConfig('config/routing.yaml', 'teams:\n  support: {}\nagents:\n  - name: Sara\n    teams: [sales]\n', RoutingConfigSchema)).toThrow(
      /config\/routing\.yaml:5:13: agents\.0\.teams\.0: team "sales" is not defined/,
    );
  });

  it('rejects an alert rule without a destination and an unknown field', () => {
    const source = [
      'rules:',
      '  - id: unhappy',
      '    when: { csat_at_most: 2 }',
      '    notify: {}',
      '  - id: spike',
      '    when: { complaint_spike: { more_than: 3, within: 1h } }',
      '    notify: { email: cx@example.com }',
      '    colour: red',
    ].join('\n');
    expect(() => parseYamlConfig('alerts.yaml', source, AlertsConfigSchema)).toThrow(
      /alerts\.yaml:4:13: .*slack channel and\/or an email[\s\S]*alerts\.yaml:8:5: unknown field "colour"/,
    );
  });

  it('a valid file parses with durations in milliseconds', () => {
    const config = parseYamlConfig('r.yaml', 'sla:\n  warn_before: 5m\n  urgent: { first_response: 15m, resolution: 4h }\n', RoutingConfigSchema);
    expect(config.sla.urgent).toEqual({ first_response: 15 * 60_000, resolution: 4 * H });
    expect(config.sla.warn_before).toBe(5 * 60_000);
  });
});

describe('lifecycle stage rules', () => {
  const config = RoutingConfigSchema.parse({}).lifecycle;
  const now = at('2026-06-01T00:00:00Z');
  const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);
  it('new, active, at risk (each reason) and churned', () => {
    expect(computeStage({ firstSeenAt: daysAgo(3), lastSeenAt: daysAgo(1), complaints: 0 }, config, now)).toEqual({
      stage: 'new',
      reasons: ['first seen 3 days ago'],
    });
    expect(computeStage({ firstSeenAt: daysAgo(100), lastSeenAt: daysAgo(2), complaints: 1 }, config, now).stage).toBe('active');
    expect(computeStage({ firstSeenAt: daysAgo(100), lastSeenAt: daysAgo(50), complaints: 3, lastRating: { kind: 'csat', score: 1 } }, config, now)).toEqual({
      stage: 'at_risk',
      reasons: ['no activity for 50 days', '3 complaints in the last 30 days', 'last CSAT rating 1'],
    });
    expect(
      computeStage({ firstSeenAt: daysAgo(5), lastSeenAt: daysAgo(1), complaints: 0, lastRating: { kind: 'nps', score: 6 } }, config, now).reasons,
    ).toEqual(['last NPS rating 6']);
    expect(computeStage({ firstSeenAt: daysAgo(200), lastSeenAt: daysAgo(91), complaints: 5 }, config, now)).toEqual({
      stage: 'churned',
      reasons: ['no activity for 91 days'],
    });
  });
});

describe('report statistics', () => {
  it('median and nearest-rank p90', () => {
    expect(median([1, 2, 3, 4])).toBe(2.5);
    expect(median([5])).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(percentile([10, 20, 30], 90)).toBe(30);
    expect(percentile([], 90)).toBeNull();
  });
});
