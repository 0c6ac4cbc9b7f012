import { describe, expect, it } from 'vitest';
import { AgentText, agentLocaleOf } from '../src/agent-text/agent-text.ts';
import { AgentFacingError, agentErrorText } from '../src/agent-text/agent-error.ts';
import { AGENT_LOCALES, catalogs } from '../src/agent-text/catalog.ts';
import { UserError } from '../src/core/errors.ts';
import { loadConfig } from '../src/config.ts';

const placeholders = (text: string) => [...text.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();

describe('the agent text catalog', () => {
  it('has every key in en, fa and ar, each with the same placeholders and no empty text', () => {
    const keys = Object.keys(catalogs.en).sort();
    expect(keys.length).toBeGreaterThan(40);
    for (const locale of AGENT_LOCALES) {
      expect(Object.keys(catalogs[locale]).sort(), locale).toEqual(keys);
      for (const key of keys) {
        const text = catalogs[locale][key as keyof typeof catalogs.en];
        expect(text.trim(), `${locale} ${key}`).not.toBe('');
        expect(placeholders(text), `${locale} ${key}`).toEqual(placeholders(catalogs.en[key as keyof typeof catalogs.en]));
      }
    }
  });

  it('fills placeholders, numbers in the locale digits', () => {
    expect(new AgentText('en').t('alert.csat_at_most', { score: 2 })).toBe('A customer rated 2 (CSAT).');
    expect(new AgentText('fa').t('alert.csat_at_most', { score: 2 })).toBe('یک مشتری امتیاز ۲ (CSAT) داد.');
    expect(new AgentText('ar').t('alert.complaints_per_customer', { count: 4, within: '٣٠d' })).toBe('قدّم عميل ٤ شكاوى خلال ٣٠d.');
  });

  it("writes dates on the agent's clock: Jalali with Persian digits for fa, Gregorian with Arabic-Indic digits for ar", () => {
    const at = new Date('2026-03-20T21:00:00Z'); // Nowruz 1405 begins at 00:30 in Tehran
    expect(new AgentText('en', 'UTC').dateTime(at)).toBe('2026/03/20 21:00');
    expect(new AgentText('fa', 'Asia/Tehran').dateTime(at)).toBe('۱۴۰۵/۰۱/۰۱ ۰۰:۳۰');
    expect(new AgentText('ar', 'Asia/Dubai').dateTime(at)).toBe('٢٠٢٦/٠٣/٢١ ٠١:٠٠');
    expect(new AgentText('fa', 'UTC').calendarDay('2026-03-21')).toBe('۱۴۰۵/۰۱/۰۱');
  });

  it('reads the language from PARLEY_AGENT_LOCALE (other languages read English) and refuses an unknown time zone by name', () => {
    expect(agentLocaleOf('fa-IR')).toBe('fa');
    expect(agentLocaleOf('de')).toBe('en');
    const config = loadConfig({ PARLEY_AGENT_LOCALE: 'ar', PARLEY_AGENT_TIMEZONE: 'Asia/Dubai' });
    expect(new AgentText(config.PARLEY_AGENT_LOCALE, config.PARLEY_AGENT_TIMEZONE).t('card.priority.urgent')).toBe(':red_circle: عاجلة');
    expect(() => loadConfig({ PARLEY_AGENT_TIMEZONE: 'Tehran' })).toThrow(/PARLEY_AGENT_TIMEZONE="Tehran": "Tehran" is not an IANA time zone/);
  });

  it('an agent-facing error is English for logs and the API, and in the locale for the agent; any other error keeps its message', () => {
    const refused = new AgentFacingError('error.over_capacity', { agent: 'Sara', load: 5, capacity: 5 }, 409);
    expect(refused).toBeInstanceOf(UserError);
    expect(refused.statusCode).toBe(409);
    expect(refused.message).toBe('agent Sara already has 5 open conversations (capacity 5)');
    expect(agentErrorText(new AgentText('fa'), refused)).toBe('کارشناس Sara همین حالا ۵ گفتگوی باز دارد (ظرفیت ۵)');
    expect(agentErrorText(new AgentText('ar'), refused)).toBe('لدى الموظف Sara بالفعل ٥ محادثات مفتوحة (السعة ٥)');
    expect(agentErrorText(new AgentText('fa'), new UserError('flow "x" is not loaded'))).toBe('flow "x" is not loaded');
  });
});
