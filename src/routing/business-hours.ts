/**
 * Opening hours of a team in its own time zone, with holidays. Times are wall-clock times in
 * that zone, so a daylight-saving change moves the instants, not the hours on the door.
 * No weekly hours at all means always open.
 */
export interface BusinessHours {
  readonly timeZone: string;
  /** Day (sun..sat) -> "09:00-13:00,14:00-18:00". A day left out is closed. */
  readonly weekly?: Readonly<Partial<Record<Weekday, string>>>;
  /** Local dates "YYYY-MM-DD" on which the team is closed all day. */
  readonly holidays?: readonly string[];
}

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const DAY_MS = 86_400_000;
const RANGE = /^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$/;

/** "09:00-17:00,18:00-20:00" -> minute ranges; throws with what is wrong. */
export function parseDayRanges(text: string): [number, number][] {
  return text.split(',').map((part) => {
    const m = RANGE.exec(part.trim());
    if (!m) throw new Error(`"${part.trim()}" is not a time range such as 09:00-17:00`);
    const start = Number(m[1]) * 60 + Number(m[2]);
    const end = Number(m[3]) * 60 + Number(m[4]);
    if (Number(m[2]) > 59 || Number(m[4]) > 59 || start >= end || end > 24 * 60)
      throw new Error(`"${part.trim()}" is not a range within one day (start before end, up to 24:00)`);
    return [start, end];
  });
}

export function checkTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
  } catch {
    throw new Error(`"${timeZone}" is not an IANA time zone such as Asia/Tehran, Asia/Dubai, Europe/Berlin`);
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function wallClock(at: number, timeZone: string): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(at)).map((p) => [p.type, p.value]));
  return {
    y: Number(parts.year),
    mo: Number(parts.month),
    d: Number(parts.day),
    h: Number(parts.hour) % 24,
    mi: Number(parts.minute),
    s: Number(parts.second),
  };
}

/** Milliseconds the zone is ahead of UTC at `at`. */
function offsetAt(at: number, timeZone: string): number {
  const w = wallClock(at, timeZone);
  return Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s) - Math.floor(at / 1000) * 1000;
}

/** The instant of a local wall time; a time skipped by a clock change moves forward by the gap. */
export function zonedInstant(dayUtc: number, minutes: number, timeZone: string): number {
  const guess = dayUtc + minutes * 60_000;
  const first = guess - offsetAt(guess, timeZone);
  const second = guess - offsetAt(first, timeZone);
  return Math.max(first, second);
}

/** Local calendar day (as a UTC midnight) that contains `at`. */
function localDay(at: number, timeZone: string): number {
  const w = wallClock(at, timeZone);
  return Date.UTC(w.y, w.mo - 1, w.d);
}

const isoDay = (dayUtc: number) => new Date(dayUtc).toISOString().slice(0, 10);

/** Opening intervals [start, end) in epoch ms from the local day containing `from`, in order. */
function* openIntervals(hours: BusinessHours, from: number, maxDays = 400): Generator<[number, number]> {
  const holidays = new Set(hours.holidays ?? []);
  const first = localDay(from, hours.timeZone) - DAY_MS;
  for (let i = 0; i < maxDays; i++) {
    const day = first + i * DAY_MS;
    if (holidays.has(isoDay(day))) continue;
    const ranges = hours.weekly?.[WEEKDAYS[new Date(day).getUTCDay()] as Weekday];
    if (!ranges) continue;
    for (const [start, end] of parseDayRanges(ranges)) {
      const s = zonedInstant(day, start, hours.timeZone);
      const e = zonedInstant(day, end, hours.timeZone);
      if (e > from) yield [s, e];
    }
  }
}

const alwaysOpen = (hours: BusinessHours | undefined): boolean => !hours?.weekly || Object.keys(hours.weekly).length === 0;

export function isOpen(hours: BusinessHours | undefined, at: Date): boolean {
  if (alwaysOpen(hours)) return true;
  for (const [s, e] of openIntervals(hours!, at.getTime(), 2)) if (s <= at.getTime() && at.getTime() < e) return true;
  return false;
}

/** `at` when open, else the next opening; undefined if none within a year. */
export function nextOpening(hours: BusinessHours | undefined, at: Date): Date | undefined {
  if (alwaysOpen(hours)) return at;
  for (const [s] of openIntervals(hours!, at.getTime())) return new Date(Math.max(s, at.getTime()));
  return undefined;
}

/** The instant when `ms` of open time have passed since `start` (SLA clocks stop while closed). */
export function addBusinessTime(hours: BusinessHours | undefined, start: Date, ms: number): Date {
  if (alwaysOpen(hours)) return new Date(start.getTime() + ms);
  let left = ms;
  for (const [s, e] of openIntervals(hours!, start.getTime())) {
    const from = Math.max(s, start.getTime());
    if (left <= e - from) return new Date(from + left);
    left -= e - from;
  }
  throw new Error('business hours: no opening within a year; check the weekly hours and holidays');
}

/** Open time between two instants (for reports that exclude closed hours). */
export function businessTimeBetween(hours: BusinessHours | undefined, from: Date, to: Date): number {
  if (alwaysOpen(hours)) return to.getTime() - from.getTime();
  let total = 0;
  for (const [s, e] of openIntervals(hours!, from.getTime())) {
    if (s >= to.getTime()) break;
    total += Math.min(e, to.getTime()) - Math.max(s, from.getTime());
  }
  return total;
}
