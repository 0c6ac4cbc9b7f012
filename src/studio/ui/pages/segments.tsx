import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { useMayEditCampaigns } from '../campaign-format.ts';
import '../campaign-texts.ts';
import { formatDate, type Locale, t, useLocale } from '../i18n.ts';
import '../report-texts.ts';
import { type DocumentProblem, problemsOf, YamlField } from '../yaml-field.tsx';
import type { StudioPage } from './index.ts';
import { wordOf } from './reports.tsx';
import './campaigns.css';

interface SegmentRow {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly filter: Record<string, unknown>;
  readonly createdAt: string;
}

/** src/campaigns/segments.ts SegmentPreview. */
interface Preview {
  readonly count: number;
  readonly sample: { id: string; name: string | null; locale: string | null; lifecycleStage: string; lastSeenAt: string }[];
}

const EXAMPLE = `# Customers who speak Persian and carry the tag vip
tags: { any: [vip] }
locale: [fa]
consent: reachable
`;

/** src/campaigns/segment-filter.ts SegmentFilterSchema's fields (README: Campaigns). */
const FILTER_FIELDS = 'tags, attributes, lifecycle, key, churn, locale, channels, lastSeen, rating, openTickets, consent';

/** Saved segments with a preview of each (count and ten customers); marketers and admins add one. */
export function SegmentsPage() {
  const locale = useLocale();
  const mayEdit = useMayEditCampaigns();
  const [segments, setSegments] = useState<SegmentRow[]>();
  const [error, setError] = useState<string>();
  const [shown, setShown] = useState<{ title: string; preview: Preview }>();
  const [refresh, setRefresh] = useState(0);
  useEffect(() => {
    api.get<{ segments: SegmentRow[] }>('/studio/api/segments').then(
      (a) => setSegments(a.segments),
      (e: Error) => setError(e.message),
    );
  }, [refresh]);
  const preview = (segment: SegmentRow) =>
    api.get<{ preview: Preview }>(`/studio/api/segments/${encodeURIComponent(segment.id)}/preview`).then(
      (a) => setShown({ title: t('segments.sampleOf', { name: segment.name }), preview: a.preview }),
      (e: Error) => setError(e.message),
    );
  if (!segments) return error ? <p class="error">{t('app.error', { message: error })}</p> : <p>{t('app.loading')}</p>;
  return (
    <section class="segments-page">
      <h1>{t('nav.segments')}</h1>
      {error && <p class="error">{t('app.error', { message: error })}</p>}
      {segments.length === 0 ? (
        <p class="empty">{t('segments.none')}</p>
      ) : (
        <table class="segments">
          <thead>
            <tr>
              {['name', 'description', 'filter', 'created'].map((c) => (
                <th key={c}>{t(`segments.${c}`)}</th>
              ))}
              <th />
            </tr>
          </thead>
          <tbody>
            {segments.map((s) => (
              <tr key={s.id} data-segment={s.name}>
                <td>
                  <bdi>{s.name}</bdi>
                </td>
                <td>
                  <bdi>{s.description ?? ''}</bdi>
                </td>
                <td>
                  <code dir="ltr">{JSON.stringify(s.filter)}</code>
                </td>
                <td>{formatDate(s.createdAt, locale)}</td>
                <td>
                  <button type="button" name="preview" onClick={() => void preview(s)}>
                    {t('segments.preview')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {shown && <PreviewPanel title={shown.title} preview={shown.preview} locale={locale} />}
      {mayEdit && (
        <NewSegment
          onPreview={(preview) => setShown({ title: t('segments.unsaved'), preview })}
          onSaved={(segment, preview) => {
            setShown({ title: t('segments.sampleOf', { name: segment.name }), preview });
            setRefresh((n) => n + 1);
          }}
        />
      )}
    </section>
  );
}

function PreviewPanel({ title, preview, locale }: { title: string; preview: Preview; locale: Locale }) {
  return (
    <div class="segment-preview card" role="status">
      <h2>{title}</h2>
      <p class="count" data-count={preview.count}>
        {t('segments.count', { count: preview.count })}
      </p>
      {preview.sample.length > 0 && (
        <table class="sample">
          <thead>
            <tr>
              {['customer', 'locale', 'stage', 'lastSeen'].map((c) => (
                <th key={c}>{t(`segments.${c}`)}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {preview.sample.map((c) => (
              <tr key={c.id}>
                <td>
                  <bdi>{c.name ?? c.id}</bdi>
                </td>
                <td>{c.locale ?? ''}</td>
                <td>{wordOf('label.', c.lifecycleStage, locale)}</td>
                <td>{formatDate(c.lastSeenAt, locale)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function NewSegment({ onPreview, onSaved }: { onPreview: (preview: Preview) => void; onSaved: (segment: SegmentRow, preview: Preview) => void }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [filter, setFilter] = useState(EXAMPLE);
  const [problems, setProblems] = useState<DocumentProblem[]>([]);
  const [notice, setNotice] = useState<string>();
  const fail = (error: unknown) => {
    setNotice(undefined);
    setProblems(problemsOf(error));
  };
  const previewIt = () =>
    api.post<{ preview: Preview }>('/studio/api/segments/preview', { filter }).then((a) => {
      setProblems([]);
      onPreview(a.preview);
    }, fail);
  const save = async (event: Event) => {
    event.preventDefault();
    try {
      const { segment } = await api.post<{ segment: SegmentRow }>('/studio/api/segments', { name, description, filter });
      const { preview } = await api.get<{ preview: Preview }>(`/studio/api/segments/${encodeURIComponent(segment.id)}/preview`);
      setProblems([]);
      setNotice(t('segments.saved', { name: segment.name }));
      onSaved(segment, preview);
    } catch (error) {
      fail(error);
    }
  };
  const nameProblems = problems.filter((p) => p.path === 'name' || p.path === 'description');
  const filterProblems = problems.filter((p) => !nameProblems.includes(p));
  return (
    <form class="new-segment card" onSubmit={(e) => void save(e)}>
      <h2>{t('segments.add')}</h2>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <label>
        {t('segments.name')} <input name="segment-name" dir="auto" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <label>
        {t('segments.description')} <input name="segment-description" dir="auto" value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
      </label>
      {nameProblems.length > 0 && (
        <ul class="problems error" data-problems="segment-name">
          {nameProblems.map((p) => (
            <li key={p.path + p.message}>
              <bdi dir="ltr">{`${p.path}: ${p.message}`}</bdi>
            </li>
          ))}
        </ul>
      )}
      <p class="muted">
        {t('segments.filter')} — {t('segments.filterHint')} <code dir="ltr">{FILTER_FIELDS}</code>
      </p>
      <YamlField name="segment-filter" value={filter} onInput={setFilter} problems={filterProblems} rows={8} />
      <p class="buttons">
        <button type="button" name="preview-filter" onClick={() => void previewIt()}>
          {t('segments.preview')}
        </button>
        <button type="submit" class="primary" name="save-segment">
          {t('segments.save')}
        </button>
      </p>
    </form>
  );
}

export const segmentsPage: StudioPage = { id: 'segments', path: '/segments', title: 'nav.segments', area: 'campaigns', nav: true, component: SegmentsPage };
