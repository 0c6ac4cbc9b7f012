import { foldForMatch } from '../core/text.ts';
import type { BusinessHours, Condition } from './schema.ts';

export interface ConditionContext {
  readonly variables: Readonly<Record<string, unknown>>;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly tags: readonly string[];
  readonly channel: string;
  readonly locale: string;
  readonly isNewCustomer: boolean;
  readonly now: Date;
}

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** Whether `now` falls in the opening hours, read in their own time zone (holidays closed). */
export function withinBusinessHours(hours: BusinessHours, now: Date): boolean {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone: hours.timezone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(now)
      .map((p) => [p.type, p.value]),
  );
  const date = `${parts.year}-${parts.month}-${parts.day}`;
  if (hours.holidays.includes(date)) return false;
  const weekday = WEEKDAYS.find((d) => d === String(parts.weekday).toLowerCase().slice(0, 3));
  if (!weekday || !hours.days.includes(weekday)) return false;
  const minutes = Number(parts.hour) * 60 + Number(parts.minute);
  const [fh, fm] = hours.from.split(':').map(Number) as [number, number];
  const [th, tm] = hours.to.split(':').map(Number) as [number, number];
  return minutes >= fh * 60 + fm && minutes < th * 60 + tm;
}

function compare(value: unknown, c: Record<string, unknown>): boolean {
  const present = value !== undefined && value !== null && value !== '';
  if (c.exists !== undefined && present !== c.exists) return false;
  const asNumber = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  const same = (expected: unknown) =>
    typeof expected === 'number'
      ? asNumber === expected
      : typeof expected === 'boolean'
        ? value === expected
        : foldForMatch(String(value ?? '')) === foldForMatch(String(expected));
  if (c.eq !== undefined && !same(c.eq)) return false;
  if (c.ne !== undefined && same(c.ne)) return false;
  if (c.lt !== undefined && !(asNumber < (c.lt as number))) return false;
  if (c.lte !== undefined && !(asNumber <= (c.lte as number))) return false;
  if (c.gt !== undefined && !(asNumber > (c.gt as number))) return false;
  if (c.gte !== undefined && !(asNumber >= (c.gte as number))) return false;
  if (c.in !== undefined && !(c.in as unknown[]).some(same)) return false;
  return true;
}

const readPath = (root: Readonly<Record<string, unknown>>, path: string): unknown =>
  path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), root);

export function evaluate(condition: Condition, ctx: ConditionContext): boolean {
  if ('all' in condition) return condition.all.every((c) => evaluate(c, ctx));
  if ('any' in condition) return condition.any.some((c) => evaluate(c, ctx));
  if ('not' in condition) return !evaluate(condition.not, ctx);
  if ('var' in condition) return compare(readPath(ctx.variables, condition.var), condition);
  if ('attribute' in condition) return compare(readPath(ctx.attributes, condition.attribute), condition);
  if ('tag' in condition) return ctx.tags.map(foldForMatch).includes(foldForMatch(condition.tag));
  if ('channel' in condition) return [condition.channel].flat().includes(ctx.channel);
  if ('locale' in condition) return [condition.locale].flat().includes(ctx.locale);
  if ('new_customer' in condition) return ctx.isNewCustomer === condition.new_customer;
  return withinBusinessHours(condition.business_hours, ctx.now);
}
