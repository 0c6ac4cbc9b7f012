import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { formatNumber, t } from '../i18n.ts';

const CHANNELS = ['whatsapp', 'sms', 'email'] as const;
type PreviewChannel = (typeof CHANNELS)[number];
const CHANNEL_NAMES: Record<PreviewChannel, string> = { whatsapp: 'WhatsApp', sms: 'SMS', email: 'Email' };
const PRICE_KEY = 'parley-studio-sms-price';

interface Message {
  text: string;
  buttons?: string[];
  list?: { button: string; rows: string[] };
  subject?: string;
  sms?: { encoding: string; segments: number; cost?: number };
}
type Entry = { from: 'bot'; message: Message } | { from: 'customer'; text: string };

/** The flow run step by step by the real interpreter, shown as each channel would show it. */
export function PreviewPanel({ flowId, locales, yaml }: { flowId: string; locales: string[]; yaml: string }) {
  const [channel, setChannel] = useState<PreviewChannel>('whatsapp');
  const [locale, setLocale] = useState(locales[0] ?? 'en');
  const [answers, setAnswers] = useState<string[]>([]);
  const [answer, setAnswer] = useState('');
  const [price, setPrice] = useState(localStorage.getItem(PRICE_KEY) ?? '');
  const [transcript, setTranscript] = useState<Entry[]>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    setError(undefined);
    setTranscript(undefined);
    // Only the answer to the newest request is shown: an older one may arrive after it.
    let current = true;
    const smsPricePerSegment = price === '' ? undefined : Number(price);
    api.post<{ transcript: Entry[] }>(`/studio/api/flows/${flowId}/preview`, { yaml, locale, channel, answers, smsPricePerSegment }).then(
      (r) => current && setTranscript(r.transcript),
      (e: Error) => current && setError(e.message),
    );
    return () => {
      current = false;
    };
  }, [flowId, yaml, locale, channel, answers, price]);

  const rtl = locale === 'fa' || locale === 'ar';
  return (
    <section class="preview card">
      <h2>{t('flow.preview')}</h2>
      <div class="tabs" role="tablist">
        {CHANNELS.map((c) => (
          <button
            key={c}
            type="button"
            role="tab"
            aria-selected={channel === c}
            data-channel={c}
            class={channel === c ? 'active' : ''}
            onClick={() => setChannel(c)}
          >
            {CHANNEL_NAMES[c]}
          </button>
        ))}
        <label>
          {t('flow.previewLocale')}{' '}
          <select name="preview-locale" value={locale} onChange={(e) => setLocale(e.currentTarget.value)}>
            {locales.map((l) => (
              <option key={l}>{l}</option>
            ))}
          </select>
        </label>
        {channel === 'sms' && (
          <label>
            {t('flow.pricePerSegment')}{' '}
            <input
              name="sms-price"
              type="number"
              min="0"
              step="any"
              value={price}
              onInput={(e) => {
                setPrice(e.currentTarget.value);
                localStorage.setItem(PRICE_KEY, e.currentTarget.value);
              }}
            />
          </label>
        )}
      </div>
      {error && <p class="error">{error}</p>}
      <div class={`transcript ${channel}`} dir={rtl ? 'rtl' : 'ltr'} lang={locale} aria-busy={transcript === undefined}>
        {(transcript ?? []).map((entry, i) =>
          entry.from === 'customer' ? (
            <div key={i} class="bubble customer">
              {entry.text}
            </div>
          ) : (
            <BotMessage key={i} channel={channel} message={entry.message} />
          ),
        )}
      </div>
      <form
        class="answer"
        onSubmit={(e) => {
          e.preventDefault();
          if (!answer.trim()) return;
          setAnswers([...answers, answer]);
          setAnswer('');
        }}
      >
        <input name="answer" dir="auto" placeholder={t('flow.answer')} value={answer} onInput={(e) => setAnswer(e.currentTarget.value)} />
        <button type="submit">{t('flow.send')}</button>
        <button type="button" onClick={() => setAnswers([])}>
          {t('flow.restart')}
        </button>
      </form>
    </section>
  );
}

function BotMessage({ channel, message }: { channel: PreviewChannel; message: Message }) {
  if (channel === 'email')
    return (
      <div class="email-message">
        <div class="subject">
          <strong>{t('flow.subject')}:</strong> {message.subject ?? t('flow.subjectReply')}
        </div>
        <pre>{message.text}</pre>
      </div>
    );
  return (
    <div class={`bubble bot ${channel}`} data-sms-segments={message.sms?.segments}>
      <div class="text">{message.text}</div>
      {message.buttons && (
        <div class="buttons">
          {message.buttons.map((b) => (
            <span key={b} class="wa-button">
              {b}
            </span>
          ))}
        </div>
      )}
      {message.list && (
        <div class="wa-list">
          <div class="wa-button">≡ {message.list.button}</div>
          <ol>
            {message.list.rows.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ol>
        </div>
      )}
      {message.sms && (
        <div class="sms-meta muted">
          {t('flow.segments', { segments: message.sms.segments, encoding: message.sms.encoding })}
          {message.sms.cost !== undefined && ` · ${t('flow.cost', { cost: formatNumber(message.sms.cost, undefined, { maximumFractionDigits: 4 }) })}`}
        </div>
      )}
    </div>
  );
}
