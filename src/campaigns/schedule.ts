import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day such as 09:30 (24-hour, HH:MM)');
const day = z.iso.date({ error: 'a date such as 2026-03-21 (YYYY-MM-DD)' });

/**
 * When a campaign sends: on `date` (each run's date in the customer's own calendar) at `time`
 * in each customer's time zone, again every day/week/month until `until`. Without a date the
 * first run is the day it is started; without a time a customer is due at once.
 */
export const ScheduleSchema = z
  .object({
    date: day.optional(),
    time: clock.optional(),
    repeat: z.enum(['daily', 'weekly', 'monthly']).optional(),
    until: day.optional(),
  })
  .strict()
  .refine((s) => !s.until || s.repeat, { message: 'until needs repeat', path: ['until'] })
  .refine((s) => !s.until || !s.date || s.until >= s.date, { message: 'until must not be before date', path: ['until'] });
export type Schedule = z.output<typeof ScheduleSchema>;

/** Local hours in which nothing is sent (from 21:00 to 09:00 wraps past midnight); from = to: none. */
export const QuietHoursSchema = z.object({ from: clock, to: clock }).strict();
export type QuietHours = z.output<typeof QuietHoursSchema>;

/** "21:00-09:00" (PARLEY_CAMPAIGN_QUIET_HOURS) -> quiet hours. */
export function parseQuietHours(text: string): QuietHours {
  const [from, to, ...rest] = text.split('-').map((p) => p.trim());
  const parsed = QuietHoursSchema.safeParse({ from, to });
  if (rest.length > 0 || !parsed.success) throw new Error(`"${text}" is not quiet hours such as 21:00-09:00 (from-to, local time)`);
  return parsed.data;
}

export const isTimeZone = (zone: string): boolean => IANAZone.isValidZone(zone);

/**
 * A customer's time zone: their `timezone` attribute when it is an IANA zone, else the zone of
 * their phone number's country when the country has one (ICU's region data: Iran, the UAE, the
 * UK; not the US), else the fallback.
 */
export function customerTimeZone(attributes: Readonly<Record<string, unknown>>, phones: readonly string[], fallback: string): string {
  const given = attributes.timezone ?? attributes.time_zone;
  if (typeof given === 'string' && isTimeZone(given)) return given;
  for (const phone of phones) {
    const country = parsePhoneNumberFromString(phone)?.country;
    if (!country) continue;
    const zones = regionTimeZones(country);
    if (zones.length === 1) return zones[0] as string;
  }
  return fallback;
}

const regionZones = new Map<string, string[]>();
function regionTimeZones(region: string): string[] {
  let zones = regionZones.get(region);
  if (!zones) {
    const locale = new Intl.Locale(`und-${region}`) as Intl.Locale & { timeZones?: string[]; getTimeZones?: () => string[] };
    zones = (locale.getTimeZones?.() ?? locale.timeZones ?? []).filter(isTimeZone);
    regionZones.set(region, zones);
  }
  return zones;
}

/** The local date of run `run` (0-based), or undefined past `until`. */
export function runDate(schedule: Schedule, firstDate: string, run: number): string | undefined {
  const first = DateTime.fromISO(firstDate, { zone: 'UTC' });
  const unit =
    schedule.repeat === 'daily' ? { days: run } : schedule.repeat === 'weekly' ? { weeks: run } : schedule.repeat === 'monthly' ? { months: run } : undefined;
  if (run > 0 && !unit) return undefined;
  const date = first.plus(unit ?? {}).toISODate() as string;
  return schedule.until && date > schedule.until ? undefined : date;
}

/** Earliest instant any time zone reaches `time` on `date` (UTC+14): a run is targeted then. */
export function runStartsAt(date: string, time: string | undefined): Date {
  return DateTime.fromISO(`${date}T${time ?? '00:00'}`, { zone: 'UTC+14' }).toJSDate();
}

/** When a customer in `zone` is due on `date` at `time`; a time in a DST gap moves forward. */
export function localSendTime(date: string, time: string | undefined, zone: string): DateTime {
  return DateTime.fromISO(`${date}T${time ?? '00:00'}`, { zone });
}

/** The minute of the day, 0-1439. */
const minuteOf = (text: string) => Number(text.slice(0, 2)) * 60 + Number(text.slice(3, 5));

/**
 * When the quiet hours around `at` end in `zone`, or undefined when `at` is not in them.
 * Wall-clock minutes: a quiet night spanning a DST change still ends at its local time.
 */
export function quietUntil(at: Date, zone: string, quiet: QuietHours | undefined): Date | undefined {
  if (!quiet) return undefined;
  const from = minuteOf(quiet.from);
  const to = minuteOf(quiet.to);
  if (from === to) return undefined;
  const local = DateTime.fromJSDate(at, { zone });
  const minute = local.hour * 60 + local.minute;
  const inQuiet = from < to ? minute >= from && minute < to : minute >= from || minute < to;
  if (!inQuiet) return undefined;
  const end = local.set({ hour: Math.floor(to / 60), minute: to % 60, second: 0, millisecond: 0 });
  return (end > local ? end : end.plus({ days: 1 })).toJSDate();
}

/** When a customer is due: the local send time, moved past quiet hours, never before `notBefore`. */
export function dueAt(date: string, schedule: Schedule, zone: string, quiet: QuietHours | undefined, notBefore: Date): Date {
  const planned = schedule.time ? localSendTime(date, schedule.time, zone).toJSDate() : notBefore;
  const at = planned < notBefore ? notBefore : planned;
  return quietUntil(at, zone, quiet) ?? at;
}

/** Today's date in a zone (the first run of a campaign without a date). */
export const todayIn = (now: Date, zone: string): string => DateTime.fromJSDate(now, { zone }).toISODate() as string;
