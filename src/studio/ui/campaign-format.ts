import { useEffect, useState } from 'preact/hooks';
import { STUDIO_ACCESS } from '../roles.ts';
import { currentUser } from './api.ts';
import './campaign-texts.ts';
import { formatNumber, type Locale, t } from './i18n.ts';
import { dayText } from './pages/reports.tsx';

/** A campaign as /studio/api/campaigns gives it (src/campaigns/campaigns.ts CampaignView, dates as ISO text). */
export interface CampaignRow {
  readonly id: string;
  readonly name: string;
  readonly segmentId: string;
  readonly segmentName: string | null;
  readonly status: 'draft' | 'running' | 'paused' | 'completed' | 'cancelled';
  readonly run: number;
  readonly spec: {
    readonly channel: string;
    readonly schedule: { date?: string; time?: string; repeat?: string; until?: string };
    readonly quietHours?: { from: string; to: string };
    readonly goal?: { type: string; within: string; tag?: string };
    readonly purpose: string;
    readonly kind: string;
  };
  readonly variants: { id: string; name: string; weight: number; flowId: string | null; texts: Record<string, string> | null }[];
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly endedAt: string | null;
}

/** Whether the reader's role may change segments and campaigns (the server checks again). */
export function useMayEditCampaigns(): boolean {
  const [may, setMay] = useState(false);
  useEffect(() => {
    currentUser().then((user) => setMay(Boolean(user && (STUDIO_ACCESS.campaignsEdit as readonly string[]).includes(user.role))));
  }, []);
  return may;
}

/** "10:00" in the reader's digits. */
export const clockText = (clock: string, locale: Locale): string => clock.replace(/\d/g, (d) => formatNumber(Number(d), locale));

/** "3d" as "3 days" (۳ روز); anything else as written. */
export function durationText(text: string, locale: Locale): string {
  const match = /^(\d+)\s*([mhdw])$/.exec(text.trim());
  return match ? t(`unit.${match[2]}`, { n: Number(match[1]) }, locale) : text;
}

/** When the campaign sends: its date (Jalali for fa) and local time, repeat and end. */
export function scheduleText(schedule: CampaignRow['spec']['schedule'], locale: Locale): string {
  const date = schedule.date ? dayText(schedule.date, locale) : t('campaign.now', {}, locale);
  const parts = [schedule.time ? t('campaign.scheduleAt', { date, time: clockText(schedule.time, locale) }, locale) : date];
  if (schedule.time) parts.push(t('campaign.localTime', {}, locale));
  parts.push(schedule.repeat ? t('campaign.repeat', { repeat: t(`repeat.${schedule.repeat}`, {}, locale) }, locale) : t('campaign.once', {}, locale));
  if (schedule.until) parts.push(t('campaign.until', { date: dayText(schedule.until, locale) }, locale));
  return parts.join(locale === 'en' ? ', ' : '، ');
}

export function goalText(goal: CampaignRow['spec']['goal'], locale: Locale): string {
  if (!goal) return t('campaign.noGoal', {}, locale);
  return t('campaign.goalWithin', { goal: t(`goal.${goal.type}`, { tag: goal.tag ?? '' }, locale), within: durationText(goal.within, locale) }, locale);
}
