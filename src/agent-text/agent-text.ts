import { toJalaali } from 'jalaali-js';
import type { Config } from '../config.ts';
import { AGENT_LOCALES, type AgentLocaleName, catalogs, type MessageKey } from './catalog.ts';
import { fillTemplate } from './fill-template.ts';

const PERSIAN_DIGITS = '۰۱۲۳۴۵۶۷۸۹';
const ARABIC_DIGITS = '٠١٢٣٤٥٦٧٨٩';

/** The catalog language for a tag: "fa-IR" is fa; a language without a catalog reads English. */
export function agentLocaleOf(tag: string): AgentLocaleName {
  const language = tag.split('-')[0]?.toLowerCase();
  return (AGENT_LOCALES as readonly string[]).includes(language ?? '') ? (language as AgentLocaleName) : 'en';
}

/** Throws when `timeZone` is not an IANA zone the runtime knows. */
export function checkTimeZone(timeZone: string): string {
  try {
    new Intl.DateTimeFormat('en', { timeZone }).format(0);
  } catch {
    throw new Error(`"${timeZone}" is not an IANA time zone such as UTC, Asia/Tehran, Asia/Dubai`);
  }
  return timeZone;
}

/**
 * Agent-facing text in one language, time zone and calendar (PARLEY_AGENT_LOCALE,
 * PARLEY_AGENT_TIMEZONE): messages from the catalog, dates as "YYYY/MM/DD HH:mm" on the agent's
 * wall clock, in the Jalali calendar with Persian digits for fa, Gregorian with Arabic-Indic
 * digits for ar.
 */
export class AgentText {
  readonly locale: AgentLocaleName;
  readonly #parts: Intl.DateTimeFormat;

  constructor(
    locale: string,
    readonly timeZone: string = 'UTC',
  ) {
    this.locale = agentLocaleOf(locale);
    this.#parts = new Intl.DateTimeFormat('en-US', {
      timeZone: checkTimeZone(timeZone),
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
  }

  /** The catalog text with {{placeholders}} filled; numbers in the locale's digits. */
  t(key: MessageKey, values: Readonly<Record<string, string | number>> = {}): string {
    return fillTemplate(catalogs[this.locale][key], values, (number) => this.digits(number));
  }

  /** ASCII digits written in the locale's digits (fa: ۰-۹, ar: ٠-٩). */
  digits(text: string): string {
    const set = this.locale === 'fa' ? PERSIAN_DIGITS : this.locale === 'ar' ? ARABIC_DIGITS : undefined;
    return set ? text.replace(/[0-9]/g, (d) => set[Number(d)] as string) : text;
  }

  /** "2026/03/23 14:30" (en), "۱۴۰۵/۰۱/۰۳ ۱۸:۰۰" (fa, Jalali), on the agent's clock. */
  dateTime(at: Date): string {
    const { date, time } = this.#wallClock(at);
    return this.digits(`${date} ${time}`);
  }

  /** The calendar date alone, as dateTime writes it. */
  date(at: Date): string {
    return this.digits(this.#wallClock(at).date);
  }

  /** A calendar day given as "YYYY-MM-DD" (no time zone: the day itself), in the reader's calendar. */
  calendarDay(isoDay: string): string {
    const [y, m, d] = isoDay.split('-').map(Number) as [number, number, number];
    return this.digits(this.#calendarDate(y, m, d));
  }

  #wallClock(at: Date): { date: string; time: string } {
    const parts = Object.fromEntries(this.#parts.formatToParts(at).map((p) => [p.type, p.value]));
    return { date: this.#calendarDate(Number(parts.year), Number(parts.month), Number(parts.day)), time: `${parts.hour}:${parts.minute}` };
  }

  /** A Gregorian date as YYYY/MM/DD in the reader's calendar (Jalali for fa). */
  #calendarDate(year: number, month: number, day: number): string {
    let [y, m, d] = [year, month, day];
    if (this.locale === 'fa') ({ jy: y, jm: m, jd: d } = toJalaali(y, m, d));
    const two = (n: number) => String(n).padStart(2, '0');
    return `${y}/${two(m)}/${two(d)}`;
  }
}

/** The agent-facing words of a configuration (PARLEY_AGENT_LOCALE, PARLEY_AGENT_TIMEZONE). */
export const agentTextOf = (config: Pick<Config, 'PARLEY_AGENT_LOCALE' | 'PARLEY_AGENT_TIMEZONE'>): AgentText =>
  new AgentText(config.PARLEY_AGENT_LOCALE, config.PARLEY_AGENT_TIMEZONE);
