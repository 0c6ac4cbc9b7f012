import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { type CampaignRow, useMayEditCampaigns } from '../campaign-format.ts';
import '../campaign-texts.ts';
import { formatDate, formatNumber, t, useLocale } from '../i18n.ts';
import { navigate } from '../router.ts';
import { type DocumentProblem, problemsOf, YamlField } from '../yaml-field.tsx';
import type { StudioPage } from './index.ts';
import './campaigns.css';

const EXAMPLE = `name: spring-offer
segment: vip fa
text:
  en: 'Hi {{customer.name}}, 20% off this week'
  fa: 'سلام {{customer.name}}، ۲۰٪ تخفیف این هفته'
  ar: 'مرحبا {{customer.name}}، خصم ٢٠٪ هذا الأسبوع'
# flow: spring_offer          # or a flow
# variants:                   # or an A/B test
#   - { name: A, weight: 50, text: { en: "…" } }
#   - { name: B, weight: 50, flow: spring_offer }
channel: preferred
schedule: { time: '10:00' }
goal: { type: replied, within: 3d }
`;

/** Every campaign, newest first, with its status; marketers and admins add one from YAML. */
export function CampaignsPage() {
  const locale = useLocale();
  const mayEdit = useMayEditCampaigns();
  const [campaigns, setCampaigns] = useState<CampaignRow[]>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    api.get<{ campaigns: CampaignRow[] }>('/studio/api/campaigns').then(
      (a) => setCampaigns(a.campaigns),
      (e: Error) => setError(e.message),
    );
  }, []);
  if (error) return <p class="error">{t('app.error', { message: error })}</p>;
  if (!campaigns) return <p>{t('app.loading')}</p>;
  return (
    <section class="campaigns-page">
      <h1>{t('nav.campaigns')}</h1>
      {campaigns.length === 0 ? (
        <p class="empty">{t('campaigns.none')}</p>
      ) : (
        <table class="campaigns">
          <thead>
            <tr>
              {['name', 'segment', 'kind', 'status', 'run', 'variants', 'created', 'started'].map((c) => (
                <th key={c}>{t(`campaigns.${c}`)}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {campaigns.map((c) => (
              <tr key={c.id} data-campaign={c.name}>
                <td>
                  <a href={`#/campaigns/${encodeURIComponent(c.id)}`}>
                    <bdi>{c.name}</bdi>
                  </a>
                </td>
                <td>
                  <bdi>{c.segmentName ?? c.segmentId}</bdi>
                </td>
                <td>{t(`kind.${c.spec.kind}`)}</td>
                <td>
                  <span class={`campaign-status ${c.status}`}>{t(`cstatus.${c.status}`)}</span>
                </td>
                <td>{formatNumber(c.run, locale)}</td>
                <td>
                  <bdi>{c.variants.map((v) => v.name).join(' · ')}</bdi>
                </td>
                <td>{formatDate(c.createdAt, locale)}</td>
                <td>{c.startedAt ? formatDate(c.startedAt, locale) : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {mayEdit && <NewCampaign />}
    </section>
  );
}

function NewCampaign() {
  const [yaml, setYaml] = useState(EXAMPLE);
  const [problems, setProblems] = useState<DocumentProblem[]>([]);
  const [busy, setBusy] = useState(false);
  const save = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      const { campaign } = await api.post<{ campaign: CampaignRow }>('/studio/api/campaigns', { yaml });
      setProblems([]);
      navigate(`/campaigns/${encodeURIComponent(campaign.id)}`);
    } catch (error) {
      setProblems(problemsOf(error));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="new-campaign card" onSubmit={(e) => void save(e)}>
      <h2>{t('campaigns.new')}</h2>
      <p class="muted">{t('campaigns.newHint')}</p>
      <YamlField name="campaign-yaml" value={yaml} onInput={setYaml} problems={problems} rows={16} />
      <button type="submit" class="primary" name="save-campaign" disabled={busy}>
        {t('campaigns.save')}
      </button>
    </form>
  );
}

export const campaignsPage: StudioPage = {
  id: 'campaigns',
  path: '/campaigns',
  title: 'nav.campaigns',
  area: 'campaigns',
  nav: true,
  component: CampaignsPage,
};
