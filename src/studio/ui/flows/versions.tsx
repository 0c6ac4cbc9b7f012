import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { formatDate, formatNumber, t } from '../i18n.ts';
import type { Version } from './types.ts';

/** Every saved version, the diff between any two, rollback, and which version running sessions are on. */
export function VersionsPanel({ flowId, refresh, canEdit, onChanged }: { flowId: string; refresh: number; canEdit: boolean; onChanged: () => void }) {
  const [data, setData] = useState<{ versions: Version[]; sessions: { version: number | null; sessions: number }[] }>();
  const [from, setFrom] = useState<number>();
  const [to, setTo] = useState<number>();
  const [diff, setDiff] = useState<string>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    api.get<NonNullable<typeof data>>(`/studio/api/flows/${flowId}/versions`).then(setData, (e: Error) => setError(e.message));
  }, [flowId, refresh]);
  useEffect(() => {
    if (from === undefined || to === undefined) return;
    api.get<{ diff: string }>(`/studio/api/flows/${flowId}/diff?from=${from}&to=${to}`).then(
      (r) => setDiff(r.diff),
      (e: Error) => setError(e.message),
    );
  }, [flowId, from, to]);
  if (!data) return null;
  const rollback = (number: number) => api.post(`/studio/api/flows/${flowId}/versions/${number}/rollback`).then(onChanged, (e: Error) => setError(e.message));
  return (
    <section class="versions card">
      <h2>{t('flow.versions')}</h2>
      {error && <p class="error">{error}</p>}
      {data.sessions.map((s) => (
        <p key={String(s.version)} class="muted">
          {t('flow.sessionsOn', { count: s.sessions, number: s.version ?? '?' })}
        </p>
      ))}
      <table>
        <tbody>
          {data.versions.map((v, i) => (
            <tr key={v.number} data-version={v.number}>
              <td>{t('flow.version', { number: v.number })}</td>
              <td class={`status ${v.status}`}>{t(`flow.status.${v.status}`)}</td>
              <td>{formatDate(v.createdAt)}</td>
              <td dir="ltr">{v.createdBy ?? ''}</td>
              <td>{v.note ?? ''}</td>
              <td>
                {data.versions[i + 1] && (
                  <button
                    type="button"
                    class="diff"
                    onClick={() => {
                      setFrom(data.versions[i + 1]?.number);
                      setTo(v.number);
                    }}
                  >
                    {t('flow.diffWithPrevious')}
                  </button>
                )}
                {canEdit && v.status !== 'draft' && (
                  <button type="button" class="rollback" onClick={() => void rollback(v.number)}>
                    {t('flow.rollback')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="diff-pick">
        {t('flow.diff')}{' '}
        <select name="diff-from" value={from} onChange={(e) => setFrom(Number(e.currentTarget.value))}>
          {data.versions.map((v) => (
            <option key={v.number} value={v.number}>
              {formatNumber(v.number)}
            </option>
          ))}
        </select>{' '}
        →{' '}
        <select name="diff-to" value={to} onChange={(e) => setTo(Number(e.currentTarget.value))}>
          {data.versions.map((v) => (
            <option key={v.number} value={v.number}>
              {formatNumber(v.number)}
            </option>
          ))}
        </select>
      </div>
      {diff && (
        <pre class="diff-view" dir="ltr">
          {diff.split('\n').map((line, i) => (
            <div key={i} class={line.startsWith('+') && !line.startsWith('+++') ? 'add' : line.startsWith('-') && !line.startsWith('---') ? 'del' : ''}>
              {line}
            </div>
          ))}
        </pre>
      )}
    </section>
  );
}
