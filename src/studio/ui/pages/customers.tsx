import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { formatDate, formatNumber, type Locale, t, useLocale } from '../i18n.ts';
import '../report-texts.ts';
import type { PageProps, StudioPage } from './index.ts';
import { wordOf } from './reports.tsx';

interface Found {
  readonly id: string;
  readonly name: string | null;
  readonly isKey: boolean;
  readonly lastSeenAt: string;
  readonly identities: { channel: string; address: string }[];
}

interface Message {
  readonly id?: string;
  readonly direction: string;
  readonly authorKind: string;
  readonly isInternalNote: boolean;
  readonly text: string | null;
  readonly createdAt: string;
}

interface Customer360 {
  readonly customer: {
    readonly id: string;
    readonly name: string | null;
    readonly isKey: boolean;
    readonly lifecycleStage: string;
    readonly identities: { id: string; channel: string; address: string }[];
    readonly conversations: { id: string; ref: string | null; channel: string; status: string; createdAt: string; _count: { messages: number } }[];
    readonly tickets: { id: string; ref: string; kind: string; status: string; subject: string; createdAt: string }[];
    readonly surveyResponses: { id: string; kind: string; score: number; comment?: string | null; createdAt: string }[];
    readonly churn: { score: number; band: string } | undefined;
  };
  readonly suggestions: { id: string; customerId: string; otherId: string; matchedBy: string; value: string }[];
}

/** Search by name, phone (any format) or email; a result opens the customer's 360 view. */
export function CustomersPage() {
  useLocale();
  const [q, setQ] = useState('');
  const [found, setFound] = useState<{ customers: Found[]; hint?: string }>();
  const [error, setError] = useState<string>();
  const search = (event: Event) => {
    event.preventDefault();
    setError(undefined);
    api.get<{ customers: Found[]; hint?: string }>(`/studio/api/customers?${new URLSearchParams({ q })}`).then(setFound, (e: Error) => setError(e.message));
  };
  return (
    <div class="customers-page">
      <form class="search" onSubmit={search}>
        <input
          name="q"
          type="search"
          dir="auto"
          placeholder={t('customers.search')}
          value={q}
          onInput={(e) => setQ((e.target as HTMLInputElement).value)}
          required
        />
        <button type="submit">{t('customers.find')}</button>
      </form>
      {error && <p class="error">{t('app.error', { message: error })}</p>}
      {found && found.customers.length === 0 && <p class="empty">{found.hint ?? t('customers.none')}</p>}
      <ul class="results">
        {found?.customers.map((c) => (
          <li key={c.id} data-customer-id={c.id}>
            <a href={`#/customers/${encodeURIComponent(c.id)}`}>
              <bdi>{c.name ?? c.identities[0]?.address ?? c.id}</bdi>
            </a>{' '}
            {c.isKey && <span class="badge">{t('customers.key')}</span>} <span class="muted">{c.identities.map((i) => i.address).join(' · ')}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** One customer's 360 view: identities, conversations (each opens its transcript), tickets, survey answers, stage, churn score, merge suggestions. */
export function CustomerPage({ params }: PageProps) {
  const locale = useLocale();
  const id = params.id as string;
  const [view, setView] = useState<Customer360>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    setView(undefined);
    api.get<Customer360>(`/studio/api/customers/${encodeURIComponent(id)}`).then(setView, (e: Error) => setError(e.message));
  }, [id]);
  if (error) return <p class="error">{t('app.error', { message: error })}</p>;
  if (!view) return <p>{t('reports.loading')}</p>;
  const { customer, suggestions } = view;
  const date = (at: string) => formatDate(at, locale);
  return (
    <article class="customer-360" data-customer-id={customer.id}>
      <h2>
        <bdi>{customer.name ?? customer.id}</bdi> {customer.isKey && <span class="badge">{t('customers.key')}</span>}
      </h2>
      <dl class="figures">
        <div>
          <dt>{t('customers.stage')}</dt>
          <dd>{wordOf('label.', customer.lifecycleStage, locale)}</dd>
        </div>
        {customer.churn && (
          <div data-figure="churn">
            <dt>{t('customers.churn')}</dt>
            <dd>{formatNumber(customer.churn.score, locale)}</dd>
          </div>
        )}
      </dl>
      <h3>{t('customers.identities')}</h3>
      <ul>
        {customer.identities.map((i) => (
          <li key={i.id}>
            {i.channel}: <bdi dir="ltr">{i.address}</bdi>
          </li>
        ))}
      </ul>
      {suggestions.length > 0 && (
        <>
          <h3>{t('customers.merges')}</h3>
          <ul class="merge-suggestions">
            {suggestions.map((s) => {
              const other = s.customerId === customer.id ? s.otherId : s.customerId;
              return (
                <li key={s.id}>
                  <a href={`#/customers/${encodeURIComponent(other)}`}>{other}</a> {t('customers.mergedBy', { kind: s.matchedBy, value: s.value })}
                </li>
              );
            })}
          </ul>
        </>
      )}
      <h3>{t('customers.conversations')}</h3>
      <ul class="conversations">
        {customer.conversations.map((c) => (
          <Conversation key={c.id} conversation={c} locale={locale} />
        ))}
      </ul>
      <h3>{t('customers.tickets')}</h3>
      <ul>
        {customer.tickets.map((ticket) => (
          <li key={ticket.id}>
            {ticket.ref} · {wordOf('label.', ticket.kind, locale)} · {wordOf('label.', ticket.status, locale)} · <bdi>{ticket.subject}</bdi> ·{' '}
            {date(ticket.createdAt)}
          </li>
        ))}
      </ul>
      <h3>{t('customers.surveys')}</h3>
      <ul>
        {customer.surveyResponses.map((s) => (
          <li key={s.id}>
            {s.kind.toUpperCase()} {formatNumber(s.score, locale)} · {date(s.createdAt)} {s.comment && <bdi>{s.comment}</bdi>}
          </li>
        ))}
      </ul>
    </article>
  );
}

function Conversation({ conversation: c, locale }: { conversation: Customer360['customer']['conversations'][number]; locale: Locale }) {
  const [messages, setMessages] = useState<Message[]>();
  const toggle = () => {
    if (messages) setMessages(undefined);
    else void api.get<{ messages: Message[] }>(`/studio/api/conversations/${encodeURIComponent(c.id)}/messages`).then((a) => setMessages(a.messages));
  };
  return (
    <li data-conversation-id={c.id}>
      <button type="button" class="link" onClick={toggle}>
        {c.ref ?? c.id} · {c.channel} · {wordOf('label.', c.status, locale)} · {formatDate(c.createdAt, locale)} ·{' '}
        {t('customers.messages', { count: c._count.messages })}
      </button>
      {messages && (
        <ol class="transcript" aria-label={t('customers.transcript')}>
          {messages.map((m, i) => (
            <li key={m.id ?? i} class={`message ${m.direction}${m.isInternalNote ? ' note' : ''}`}>
              <span class="muted">
                {m.authorKind} · {formatDate(m.createdAt, locale)}
              </span>{' '}
              <bdi>{m.text}</bdi>
            </li>
          ))}
        </ol>
      )}
    </li>
  );
}

export const customersPage: StudioPage = {
  id: 'customers',
  path: '/customers',
  title: 'nav.customers',
  area: 'customers',
  nav: true,
  component: CustomersPage,
};
export const customerPage: StudioPage = {
  id: 'customer',
  path: '/customers/:id',
  title: 'nav.customers',
  area: 'customers',
  nav: false,
  component: CustomerPage,
};
