import { foldForMatch } from '../core/text.ts';
import { isOpen } from '../routing/business-hours.ts';
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

/** A flow's opening hours in routing's terms (the same hours each listed day), so one clock decides both. */
export function withinBusinessHours(hours: BusinessHours, now: Date): boolean {
  const weekly = Object.fromEntries(hours.days.map((day) => [day, `${hours.from}-${hours.to}`]));
  return isOpen({ timeZone: hours.timezone, weekly, holidays: hours.holidays }, now);
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
