import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import '../flows/texts.ts';
import { formatNumber, t, useLocale } from '../i18n.ts';

interface FlowRow {
  id: string;
  name: string;
  file: string;
  status: 'loaded' | 'refused';
  sessionsRunning: number;
  live: number | null;
  draft: number | null;
}

/** Every flow: loaded or refused (and why), sessions running, live and draft versions. */
export function FlowsPage() {
  useLocale();
  const [data, setData] = useState<{ flows: FlowRow[]; refused: { file: string; problems: string[] }[] }>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    api.get<typeof data>('/studio/api/flows').then(setData, (e: Error) => setError(e.message));
  }, []);
  if (error) return <p class="error">{error}</p>;
  if (!data) return <p>{t('app.loading')}</p>;
  return (
    <section>
      <h1>{t('flows.title')}</h1>
      <table class="flows">
        <thead>
          <tr>
            <th>{t('flows.name')}</th>
            <th>{t('flows.file')}</th>
            <th>{t('flows.status')}</th>
            <th>{t('flows.sessions')}</th>
            <th>{t('flows.live')}</th>
            <th>{t('flows.draft')}</th>
          </tr>
        </thead>
        <tbody>
          {data.flows.map((f) => (
            <tr key={f.id} data-flow-id={f.id}>
              <td>
                <a href={`#/flows/${f.id}`}>{f.name}</a>
              </td>
              <td dir="ltr">{f.file}</td>
              <td>{t(`flows.status.${f.status}`)}</td>
              <td>{formatNumber(f.sessionsRunning)}</td>
              <td>{f.live === null ? '' : formatNumber(f.live)}</td>
              <td>{f.draft === null ? '' : formatNumber(f.draft)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data.refused.length > 0 && (
        <>
          <h2>{t('flows.refused')}</h2>
          <ul class="problems" dir="ltr">
            {data.refused.flatMap((r) => r.problems.map((p) => <li key={p}>{p}</li>))}
          </ul>
        </>
      )}
    </section>
  );
}
