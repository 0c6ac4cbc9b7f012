import { useEffect, useState } from 'preact/hooks';
import { TicketKind, TicketStatus } from '../../../generated/sqlite/enums.ts';
import { api } from '../api.ts';
import { formatDate, t, useLocale } from '../i18n.ts';
import '../report-texts.ts';
import type { StudioPage } from './index.ts';
import { wordOf } from './reports.tsx';

interface TicketRow {
  readonly id: string;
  readonly ref: string;
  readonly kind: string;
  readonly category: string | null;
  readonly status: string;
  readonly subject: string;
  readonly createdAt: string;
  readonly customer: { id: string; name: string | null };
  readonly assignee: { id: string; name: string } | null;
}

/** The ticket queue, oldest first, by status, kind, category and text. */
export function TicketsPage() {
  const locale = useLocale();
  const [filter, setFilter] = useState({ status: '', kind: '', category: '', q: '' });
  const [query, setQuery] = useState('');
  const [tickets, setTickets] = useState<TicketRow[]>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    setError(undefined);
    api.get<{ tickets: TicketRow[] }>(`/studio/api/tickets${query ? `?${query}` : ''}`).then(
      (a) => setTickets(a.tickets),
      (e: Error) => setError(e.message),
    );
  }, [query]);
  const set = (name: keyof typeof filter) => (event: Event) => setFilter({ ...filter, [name]: (event.target as HTMLInputElement).value });
  const submit = (event: Event) => {
    event.preventDefault();
    setQuery(new URLSearchParams(Object.entries(filter).filter(([, v]) => v.trim() !== '')).toString());
  };
  const choice = (name: 'status' | 'kind', values: string[]) => (
    <label>
      {t(`tickets.${name}`)}{' '}
      <select name={name} value={filter[name]} onChange={set(name)}>
        <option value="">{t('tickets.any')}</option>
        {values.map((v) => (
          <option key={v} value={v}>
            {wordOf('label.', v, locale)}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <div class="tickets-page">
      <form class="filters" onSubmit={submit}>
        {choice('status', Object.values(TicketStatus))}
        {choice('kind', Object.values(TicketKind))}
        <label>
          {t('tickets.category')} <input name="category" dir="auto" value={filter.category} onInput={set('category')} />
        </label>
        <label>
          {t('tickets.text')} <input name="q" type="search" dir="auto" value={filter.q} onInput={set('q')} />
        </label>
        <button type="submit">{t('tickets.filter')}</button>
      </form>
      {error && <p class="error">{t('app.error', { message: error })}</p>}
      {tickets && tickets.length === 0 && <p class="empty">{t('tickets.none')}</p>}
      {tickets && tickets.length > 0 && (
        <table class="tickets">
          <thead>
            <tr>
              {['ref', 'kind', 'category', 'status', 'subject', 'customer', 'assignee', 'opened'].map((c) => (
                <th key={c}>{t(`tickets.${c}`)}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {tickets.map((ticket) => (
              <tr key={ticket.id} data-ticket-ref={ticket.ref}>
                <td>{ticket.ref}</td>
                <td>{wordOf('label.', ticket.kind, locale)}</td>
                <td>
                  <bdi>{ticket.category ?? ''}</bdi>
                </td>
                <td>{wordOf('label.', ticket.status, locale)}</td>
                <td>
                  <bdi>{ticket.subject}</bdi>
                </td>
                <td>
                  <bdi>{ticket.customer.name ?? ticket.customer.id}</bdi>
                </td>
                <td>{ticket.assignee?.name ?? ''}</td>
                <td>{formatDate(ticket.createdAt, locale)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export const ticketsPage: StudioPage = { id: 'tickets', path: '/tickets', title: 'nav.tickets', area: 'tickets', nav: true, component: TicketsPage };
