import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { type CampaignRow, clockText, goalText, scheduleText, useMayEditCampaigns } from '../campaign-format.ts';
import '../campaign-texts.ts';
import { formatDate, formatNumber, type Locale, t, useLocale } from '../i18n.ts';
import type { PageProps, StudioPage } from './index.ts';
import { wordOf } from './reports.tsx';
import './campaigns.css';

/** One variant's (or the total's) figures: src/campaigns/results.ts CampaignFigures. */
interface Figures {
  readonly targeted: number;
  readonly waiting: number;
  readonly skipped: Record<string, number>;
  readonly queued: number;
  readonly sent: number;
  readonly delivered: number;
  readonly read: number;
  readonly replied: number;
  readonly completed: number;
  readonly goalReached: number;
  readonly optedOut: number;
  readonly failed: Record<string, number>;
}

interface Results {
  readonly total: Figures;
  readonly variants: (Figures & { name: string })[];
}

type Change = 'start' | 'pause' | 'resume' | 'cancel';

/** Which changes a campaign in each status can take (src/campaigns/campaigns.ts transitions). */
const CHANGES: Record<CampaignRow['status'], Change[]> = {
  draft: ['start', 'cancel'],
  running: ['pause', 'cancel'],
  paused: ['resume', 'cancel'],
  completed: [],
  cancelled: [],
};

/** One campaign: what it sends, to whom and when; its results per variant with the CSV; start, pause, resume, cancel. */
export function CampaignPage({ params }: PageProps) {
  const locale = useLocale();
  const id = params.id as string;
  const mayEdit = useMayEditCampaigns();
  const [data, setData] = useState<{ campaign: CampaignRow; results: Results }>();
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const [refresh, setRefresh] = useState(0);
  const [cancelling, setCancelling] = useState(false);
  useEffect(() => {
    api.get<typeof data>(`/studio/api/campaigns/${encodeURIComponent(id)}`).then(setData, (e: Error) => setError(e.message));
  }, [id, refresh]);

  if (error && !data) return <p class="error">{t('app.error', { message: error })}</p>;
  if (!data) return <p>{t('app.loading')}</p>;
  const { campaign, results } = data;
  const change = (action: Change) => {
    setError(undefined);
    setCancelling(false);
    api.post<{ campaign: CampaignRow }>(`/studio/api/campaigns/${encodeURIComponent(campaign.id)}/${action}`).then(
      (answer) => {
        setNotice(t('campaign.changed', { status: t(`cstatus.${answer.campaign.status}`) }));
        setRefresh((n) => n + 1);
      },
      (e: Error) => setError(e.message),
    );
  };
  const fact = (label: string, value: string, name: string) => (
    <div data-fact={name}>
      <dt>{t(label)}</dt>
      <dd>{value}</dd>
    </div>
  );
  return (
    <section class="campaign-page" data-campaign={campaign.name} data-status={campaign.status}>
      <h1>
        <bdi>{campaign.name}</bdi> <span class={`campaign-status ${campaign.status}`}>{t(`cstatus.${campaign.status}`)}</span>
      </h1>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      {error && <p class="error">{t('app.error', { message: error })}</p>}
      {mayEdit && CHANGES[campaign.status].length > 0 && (
        <p class="campaign-actions">
          {CHANGES[campaign.status].map((action) =>
            action === 'cancel' ? (
              cancelling ? (
                <button key={action} type="button" class="danger" name="cancel-sure" onClick={() => change('cancel')}>
                  {t('campaign.cancelSure')}
                </button>
              ) : (
                <button key={action} type="button" name="cancel" onClick={() => setCancelling(true)}>
                  {t('campaign.cancel')}
                </button>
              )
            ) : (
              <button key={action} type="button" class="primary" name={action} onClick={() => change(action)}>
                {t(`campaign.${action}`)}
              </button>
            ),
          )}
        </p>
      )}
      <dl class="facts card">
        {fact('campaigns.segment', campaign.segmentName ?? campaign.segmentId, 'segment')}
        {fact('campaigns.kind', t(`kind.${campaign.spec.kind}`), 'kind')}
        {fact('campaign.channel', campaign.spec.channel === 'preferred' ? t('campaign.preferred') : campaign.spec.channel, 'channel')}
        {fact('campaign.schedule', scheduleText(campaign.spec.schedule, locale), 'schedule')}
        {campaign.spec.quietHours &&
          fact('campaign.quietHours', `${clockText(campaign.spec.quietHours.from, locale)}–${clockText(campaign.spec.quietHours.to, locale)}`, 'quietHours')}
        {fact('campaign.goal', goalText(campaign.spec.goal, locale), 'goal')}
        {fact('campaigns.run', formatNumber(campaign.run, locale), 'run')}
        {fact('campaigns.created', formatDate(campaign.createdAt, locale), 'created')}
        {campaign.startedAt && fact('campaigns.started', formatDate(campaign.startedAt, locale), 'started')}
        {campaign.endedAt && fact('campaigns.ended', formatDate(campaign.endedAt, locale), 'ended')}
      </dl>
      <h2>{t('campaign.sends')}</h2>
      <ul class="variants">
        {campaign.variants.map((v) => (
          <li key={v.id} data-variant={v.name}>
            <strong>
              <bdi>{v.name}</bdi>
            </strong>{' '}
            <span class="muted">{t('campaign.weight', { weight: v.weight })}</span>{' '}
            {v.flowId ? (
              <span>{t('campaign.flow', { flow: v.flowId })}</span>
            ) : (
              <dl class="variant-texts">
                {Object.entries(v.texts ?? {}).map(([lang, text]) => (
                  <div key={lang}>
                    <dt>{lang}</dt>
                    <dd lang={lang} dir="auto">
                      {text}
                    </dd>
                  </div>
                ))}
              </dl>
            )}
          </li>
        ))}
      </ul>
      <div class="results-header">
        <h2>{t('campaign.results')}</h2>
        <button
          type="button"
          name="refresh"
          onClick={() => {
            setNotice(undefined);
            setRefresh((n) => n + 1);
          }}
        >
          {t('campaign.refresh')}
        </button>
        <a class="csv" href={`/studio/api/campaigns/${encodeURIComponent(campaign.id)}/results?format=csv`} download>
          {t('campaign.csv')}
        </a>
      </div>
      <ResultsTable results={results} locale={locale} />
    </section>
  );
}

const PLAIN = ['targeted', 'waiting', 'queued', 'sent', 'delivered', 'read', 'replied', 'completed', 'goalReached', 'optedOut'] as const;

/** Figures as rows, the total and each variant as columns; skips and failures with a row per reason. */
function ResultsTable({ results, locale }: { results: Results; locale: Locale }) {
  const columns: Figures[] = [results.total, ...results.variants];
  const reasons = (of: 'skipped' | 'failed') => [...new Set(columns.flatMap((f) => Object.keys(f[of])))].sort();
  const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
  const number = (n: number) => formatNumber(n, locale);
  const row = (key: string, label: string, value: (f: Figures) => number, detail = false) => (
    <tr key={key} data-metric={key} class={detail ? 'detail' : undefined}>
      <th scope="row">{label}</th>
      {columns.map((f, i) => (
        <td key={i} data-variant={i === 0 ? 'all' : results.variants[i - 1]?.name}>
          {number(value(f))}
        </td>
      ))}
    </tr>
  );
  const byReason = (of: 'skipped' | 'failed') => [
    row(of, t(`metric.${of}`), (f) => sum(f[of])),
    ...reasons(of).map((reason) => row(`${of}:${reason}`, of === 'skipped' ? wordOf('skip.', reason, locale) : reason, (f) => f[of][reason] ?? 0, true)),
  ];
  return (
    <table class="campaign-results">
      <thead>
        <tr>
          <th>{t('campaign.metric')}</th>
          <th>{t('campaign.all')}</th>
          {results.variants.map((v) => (
            <th key={v.name}>
              <bdi>{v.name}</bdi>
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {row('targeted', t('metric.targeted'), (f) => f.targeted)}
        {row('waiting', t('metric.waiting'), (f) => f.waiting)}
        {byReason('skipped')}
        {PLAIN.slice(2).map((m) => row(m, t(`metric.${m}`), (f) => f[m]))}
        {byReason('failed')}
      </tbody>
    </table>
  );
}

export const campaignPage: StudioPage = {
  id: 'campaign',
  path: '/campaigns/:id',
  title: 'campaigns.name',
  area: 'campaigns',
  nav: false,
  component: CampaignPage,
};
