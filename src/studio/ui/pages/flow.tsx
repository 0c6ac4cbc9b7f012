import { useEffect, useState } from 'preact/hooks';
import { STUDIO_ACCESS } from '../../roles.ts';
import { api, currentUser } from '../api.ts';
import { FlowGraph } from '../flows/graph.tsx';
import { StepEditor } from '../flows/editor.tsx';
import { PreviewPanel } from '../flows/preview.tsx';
import '../flows/texts.ts';
import type { FlowPageData, FlowView, StepCounts, Version } from '../flows/types.ts';
import { VersionsPanel } from '../flows/versions.tsx';
import { t, useLocale } from '../i18n.ts';
import type { PageProps } from './index.ts';

/** One flow: its graph with problems and funnel, the step editor, the YAML, preview, versions and publish. */
export function FlowPage({ params }: PageProps) {
  useLocale();
  const id = params.id as string;
  const [data, setData] = useState<FlowPageData>();
  const [yaml, setYaml] = useState('');
  const [live, setLive] = useState<FlowView>();
  const [stats, setStats] = useState<Record<string, StepCounts>>({});
  const [selected, setSelected] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const [error, setError] = useState<string>();
  const [refresh, setRefresh] = useState(0);
  const [canEdit, setCanEdit] = useState(false);

  useEffect(() => {
    currentUser().then((user) => setCanEdit(Boolean(user && (STUDIO_ACCESS.flowsEdit as readonly string[]).includes(user.role))));
  }, []);
  useEffect(() => {
    api.get<FlowPageData>(`/studio/api/flows/${id}`).then(
      (d) => {
        setData(d);
        setYaml(d.yaml);
        setLive(undefined);
      },
      (e: Error) => setError(e.message),
    );
    api
      .get<{ stats: { steps: { stepId: string; counts: StepCounts }[] } }>(`/studio/api/flows/${id}/stats?since=30d`)
      .then((r) => setStats(Object.fromEntries(r.stats.steps.map((s) => [s.stepId, s.counts]))))
      .catch(() => setStats({}));
  }, [id, refresh]);

  // Live validation of the YAML being typed, with the messages of `parley flows validate`.
  useEffect(() => {
    if (!data || yaml === data.yaml) return setLive(undefined);
    const timer = setTimeout(() => {
      api.post<FlowView>(`/studio/api/flows/${id}/validate`, { yaml }).then(setLive, (e: Error) => setError(e.message));
    }, 300);
    return () => clearTimeout(timer);
  }, [yaml, data]);

  if (error) return <p class="error">{error}</p>;
  if (!data) return <p>{t('app.loading')}</p>;
  const view = live ?? data;
  const node = view.graph.nodes.find((n) => n.id === selected);
  const saved = (answer: { version: Version }) => {
    setNotice(t('flow.saved', { number: answer.version.number }));
    setRefresh(refresh + 1);
  };
  const saveDraft = (body: unknown) => api.post<{ version: Version }>(`/studio/api/flows/${id}/drafts`, body).then(saved, (e: Error) => setError(e.message));
  const draft = data.version?.status === 'draft' ? data.version : undefined;

  return (
    <section class="flow-page">
      <h1>
        {data.flow.name}{' '}
        <span class="muted" dir="ltr">
          {data.flow.file}
        </span>
      </h1>
      <p class="version-line">
        {data.version && (
          <span
            class={`status ${data.version.status}`}
          >{`${t('flow.version', { number: data.version.number })} · ${t(`flow.status.${data.version.status}`)}`}</span>
        )}{' '}
        {canEdit && draft && (
          <button
            type="button"
            class="primary publish"
            onClick={() =>
              void api.post(`/studio/api/flows/${id}/versions/${draft.number}/publish`).then(
                () => {
                  setNotice(t('flow.published', { number: draft.number }));
                  setRefresh(refresh + 1);
                },
                (e: Error) => setError(e.message),
              )
            }
          >
            {t('flow.publish', { number: draft.number })}
          </button>
        )}
      </p>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <div class="problems-panel card" data-valid={String(view.valid)}>
        <h2>{t('flow.problems')}</h2>
        {view.valid ? (
          <p>{t('flow.valid')}</p>
        ) : (
          <ul class="problems error" dir="ltr">
            {view.problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        )}
      </div>
      <div class="flow-layout">
        <div class="graph-pane card">
          <h2>{t('flow.stats')}</h2>
          <FlowGraph graph={view.graph} stats={stats} selected={selected} onSelect={setSelected} />
        </div>
        <div class="side-pane">
          {node ? (
            <StepEditor
              node={node}
              locales={data.flow.locales}
              readOnly={!canEdit || live !== undefined}
              onSaveText={(field, locale, text) => saveDraft({ stepId: node.id, field, locale, text })}
              onSaveSettings={(settings) => saveDraft({ stepId: node.id, settings })}
            />
          ) : (
            <p class="muted">{t('flow.selectStep')}</p>
          )}
          <details class="yaml card" open={live !== undefined}>
            <summary>YAML</summary>
            <textarea name="yaml" dir="ltr" rows={20} readOnly={!canEdit} value={yaml} onInput={(e) => setYaml(e.currentTarget.value)} />
            {canEdit && yaml !== data.yaml && (
              <button type="button" class="primary" name="save-yaml" onClick={() => void saveDraft({ yaml })}>
                {t('flow.saveText')}
              </button>
            )}
          </details>
        </div>
      </div>
      <PreviewPanel flowId={id} locales={data.flow.locales} yaml={data.yaml} />
      <VersionsPanel flowId={id} refresh={refresh} canEdit={canEdit} onChanged={() => setRefresh(refresh + 1)} />
    </section>
  );
}
